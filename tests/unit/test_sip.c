/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SIP scanner, sip_scan(): realistic messages (sipsak, sipvicious, an
 * INVITE with SDP, replies), the attacker's spellings (compact forms, case,
 * folding, repetition, bad start lines, binary, header counts, CSeq and
 * Content-Length edges) and sip_header_each(). Extraction and robustness
 * are in test_sip_extract.c; the harness in sip_harness.h.
 */
#include "sip_harness.h"

TestSuite(sip, .fini = drop_buf);

/* ---- scan: realistic messages ---- */

Test(sip, register_sipsak)
{
	assert_ok(REG_SIPSAK);
	cr_assert(g_m.is_request);
	cr_assert_eq(g_m.method, SIP_METHOD_REGISTER);
	assert_span(g_m.method_name, "REGISTER");
	assert_span(g_m.ruri, "sip:198.51.100.10");
	assert_span(g_m.version, "SIP/2.0");
	assert_span(g_m.from, "sip:105@198.51.100.10;tag=4a5b6c7d");
	assert_span(g_m.to, "sip:105@198.51.100.10");
	assert_span(g_m.call_id, "1251111111@127.0.0.1");
	assert_span(g_m.user_agent, "sipsak 0.9.8.1");
	assert_span(g_m.expires, "15");
	assert_span(g_m.max_forwards, "70");
	assert_span(g_m.contact, "sip:105@127.0.0.1:34567");
	cr_assert(g_m.cseq_ok);
	cr_assert_eq(g_m.cseq_num, 1);
	cr_assert_eq(g_m.cseq_method, SIP_METHOD_REGISTER);
	cr_assert(g_m.content_length_ok);
	cr_assert_eq(g_m.content_length_val, 0);
	cr_assert_eq(g_m.header_len, strlen(REG_SIPSAK));
	cr_assert_eq(g_m.body.len, 0);
	cr_assert_eq(g_m.n_via, 1);
	cr_assert_eq(g_m.n_authorization, 0);
	cr_assert_null(g_m.authorization.s);
}

Test(sip, register_with_authorization)
{
	char user[64];

	cr_assert_eq(strlen(REG_AUTH), 530);
	assert_ok(REG_AUTH);
	cr_assert_eq(g_m.n_authorization, 1);
	cr_assert_eq(g_m.n_proxy_authorization, 0);
	cr_assert_eq(g_m.cseq_num, 2);
	assert_span(g_m.user_agent, "Zoiper rv2.10.8.2");
	cr_assert_eq(sip_extract_auth_username(g_m.authorization, user,
	    sizeof(user)), 0);
	cr_assert_str_eq(user, "105");
}

Test(sip, invite_with_sdp)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), INVITE_HDRS "Content-Length: %zu\r\n\r\n%s",
	    strlen(SDP), SDP);
	assert_ok(msg);
	cr_assert_eq(g_m.method, SIP_METHOD_INVITE);
	cr_assert_eq(g_m.cseq_method, SIP_METHOD_INVITE);
	cr_assert_eq(g_m.cseq_num, 314159);
	cr_assert(g_m.content_length_ok);
	cr_assert_eq(g_m.content_length_val, strlen(SDP));
	cr_assert_eq(g_m.body.len, strlen(SDP));
	cr_assert_eq(g_m.header_len + g_m.body.len, strlen(msg));
	cr_assert(memcmp(g_m.body.s, "v=0\r\n", 5) == 0);
}

Test(sip, options_sipvicious)
{
	char user[64], host[64], tag[64];

	assert_ok(OPT_SIPVICIOUS);
	cr_assert_eq(g_m.method, SIP_METHOD_OPTIONS);
	assert_span(g_m.user_agent, "friendly-scanner");
	cr_assert_eq(sip_extract_userhost(g_m.from, user, sizeof(user), host,
	    sizeof(host)), 0);
	cr_assert_str_eq(user, "100");
	cr_assert_str_eq(host, "1.1.1.1");
	cr_assert_eq(sip_extract_tag(g_m.from, tag, sizeof(tag)), 0);
	cr_assert_str_eq(tag, "6338643238643737313363340131333434303639313830");
}

Test(sip, replies)
{
	static const struct { const char *msg; unsigned st; } r[] = {
		{ REPLY("200 OK"), 200 },
		{ REPLY("401 Unauthorized"), 401 },
		{ REPLY("407 Proxy Authentication Required"), 407 },
		{ REPLY("403 Forbidden"), 403 },
		{ REPLY("100 Trying"), 100 },
		{ REPLY("699 x"), 699 },
		{ REPLY("200"), 200 },		/* empty reason */
		{ REPLY("200 "), 200 },
		{ REPLY("486 Busy H\xc3\xa9re"), 486 },	/* UTF-8 reason */
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		assert_ok(r[i].msg);
		cr_assert(!g_m.is_request);
		cr_assert_eq(g_m.status, r[i].st);
		cr_assert_eq(g_m.method, SIP_METHOD_NONE);
		cr_assert_eq(g_m.cseq_method, SIP_METHOD_REGISTER);
		assert_span(g_m.version, "SIP/2.0");
	}
}

Test(sip, bad_replies)
{
	assert_flaw(REPLY("99 Low"), SIP_FLAW_START_LINE);
	assert_flaw(REPLY("099 Low"), SIP_FLAW_START_LINE);
	assert_flaw(REPLY("700 High"), SIP_FLAW_START_LINE);
	assert_flaw(REPLY("2000 OK"), SIP_FLAW_START_LINE);
	assert_flaw(REPLY("20x OK"), SIP_FLAW_START_LINE);
	assert_flaw("SIP/2.0\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("SIP/2 200 OK\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("SIP/.0 200 OK\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("SIP/2.0  200 OK\r\n\r\n", SIP_FLAW_START_LINE);
}

/* ---- scan: the attacker's spellings ---- */

Test(sip, compact_forms)
{
	assert_ok("INVITE sip:bob@example.org SIP/2.0\r\n"
	    "v: SIP/2.0/UDP 203.0.113.20;branch=z9hG4bK1\r\n"
	    "f: <sip:alice@example.org>;tag=1\r\n"
	    "t: <sip:bob@example.org>\r\n"
	    "i: abc@host\r\n"
	    "m: <sip:alice@203.0.113.20>\r\n"
	    "k: 100rel\r\n"
	    "s: hello\r\n"
	    "c: application/sdp\r\n"
	    "e: gzip\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "l: 0\r\n"
	    "\r\n");
	assert_span(g_m.via, "SIP/2.0/UDP 203.0.113.20;branch=z9hG4bK1");
	assert_span(g_m.from, "<sip:alice@example.org>;tag=1");
	assert_span(g_m.to, "<sip:bob@example.org>");
	assert_span(g_m.call_id, "abc@host");
	assert_span(g_m.contact, "<sip:alice@203.0.113.20>");
	cr_assert(g_m.content_length_ok);
	cr_assert_eq(g_m.n_from + g_m.n_to + g_m.n_call_id + g_m.n_via +
	    g_m.n_contact + g_m.n_content_length, 6);
}

Test(sip, mixed_case_names_and_space_before_colon)
{
	assert_ok("OPTIONS sip:b SIP/2.0\r\n"
	    "vIA: SIP/2.0/UDP h\r\n"
	    "FROM : <sip:a@b>;tag=1\r\n"
	    "to\t: <sip:a@b>\r\n"
	    "cAlL-iD:x\r\n"
	    "cseq:   7    OPTIONS   \r\n"
	    "USER-AGENT:  friendly-scanner \t\r\n"
	    "PROXY-authorization: Digest username=\"u\"\r\n"
	    "F: <sip:c@d>\r\n"
	    "\r\n");
	assert_span(g_m.via, "SIP/2.0/UDP h");
	assert_span(g_m.from, "<sip:a@b>;tag=1");
	cr_assert_eq(g_m.n_from, 2);
	assert_span(g_m.to, "<sip:a@b>");
	assert_span(g_m.call_id, "x");
	assert_span(g_m.cseq, "7    OPTIONS");
	cr_assert(g_m.cseq_ok);
	cr_assert_eq(g_m.cseq_method, SIP_METHOD_OPTIONS);
	assert_span(g_m.user_agent, "friendly-scanner");
	cr_assert_eq(g_m.n_proxy_authorization, 1);
}

Test(sip, folded_headers)
{
	char ua[64], via[128];

	assert_ok("REGISTER sip:b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 203.0.113.20\r\n"
	    "  ;branch=z9hG4bK1,\r\n"
	    "\tSIP/2.0/UDP 10.0.0.1\r\n"
	    "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
	    "User-Agent:\r\n"
	    " friendly-\r\n"
	    "\t scanner  \r\n"
	    "CSeq:\r\n 5\r\n REGISTER\r\n"
	    "Content-Length: \r\n  0 \r\n"
	    "\r\n");
	assert_span(g_m.via, "SIP/2.0/UDP 203.0.113.20\r\n  ;branch=z9hG4bK1,"
	    "\r\n\tSIP/2.0/UDP 10.0.0.1");
	cr_assert_eq(g_m.n_via, 1);
	assert_span(g_m.user_agent, "friendly-\r\n\t scanner");
	sip_str_copy(g_m.user_agent, ua, sizeof(ua));
	cr_assert_str_eq(ua, "friendly- scanner");
	sip_str_copy(g_m.via, via, sizeof(via));
	cr_assert_str_eq(via, "SIP/2.0/UDP 203.0.113.20 ;branch=z9hG4bK1, "
	    "SIP/2.0/UDP 10.0.0.1");
	cr_assert(g_m.cseq_ok);
	cr_assert_eq(g_m.cseq_num, 5);
	cr_assert_eq(g_m.cseq_method, SIP_METHOD_REGISTER);
	cr_assert(g_m.content_length_ok);
	/* a fold before the first header is not a header */
	assert_flaw("REGISTER sip:b SIP/2.0\r\n Via: x\r\n\r\n",
	    SIP_FLAW_HEADER_SYNTAX);
}

Test(sip, repeated_headers)
{
	assert_ok(REQ("From: <sip:evil@b>;tag=2\r\n"
	    "CSeq: 1 REGISTER\r\nCSeq: 2 REGISTER\r\n"
	    "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"));
	cr_assert_eq(g_m.n_from, 2);
	assert_span(g_m.from, "<sip:a@b>;tag=1");	/* the first one */
	cr_assert_eq(g_m.n_cseq, 2);
	cr_assert_eq(g_m.cseq_num, 1);
	cr_assert_eq(g_m.n_via, 2);
}

Test(sip, lf_only_and_keepalive)
{
	assert_ok("\r\n\r\n\nOPTIONS sip:b SIP/2.0\n"
	    "Via: SIP/2.0/UDP h\nFrom: <sip:a@b>;tag=1\n"
	    "User-Agent: x\n folded\nCSeq: 3 OPTIONS\nl: 4\n\nbody");
	assert_span(g_m.method_name, "OPTIONS");
	assert_span(g_m.user_agent, "x\n folded");
	cr_assert_eq(g_m.cseq_num, 3);
	assert_span(g_m.body, "body");
	cr_assert_eq(g_m.content_length_val, 4);
	/* mixed endings */
	assert_ok("OPTIONS sip:b SIP/2.0\r\nVia: x\n\r\n");
	cr_assert_eq(g_m.body.len, 0);
	assert_ok("OPTIONS sip:b SIP/2.0\nVia: x\r\n\n");
}

Test(sip, methods)
{
	assert_ok(REQ("CSeq: 1 INVITE\r\n"));
	cr_assert_eq(g_m.method, SIP_METHOD_REGISTER);
	cr_assert_eq(g_m.cseq_method, SIP_METHOD_INVITE);
	assert_ok("INVITEX sip:b SIP/2.0\r\n\r\n");
	cr_assert_eq(g_m.method, SIP_METHOD_OTHER);
	assert_ok("invite sip:b SIP/2.0\r\n\r\n");
	cr_assert_eq(g_m.method, SIP_METHOD_OTHER);
	assert_ok("INVITE sip:b sip/2.0\r\n\r\n");	/* version any case */
	assert_span(g_m.version, "sip/2.0");
	assert_ok("INVITE sip:b SIP/12.34\r\n\r\n");
	assert_span(g_m.version, "SIP/12.34");

	cr_assert_eq(sip_method_from_str("INVITE", 6), SIP_METHOD_INVITE);
	cr_assert_eq(sip_method_from_str("INVITEX", 7), SIP_METHOD_OTHER);
	cr_assert_eq(sip_method_from_str("INVIT", 5), SIP_METHOD_OTHER);
	cr_assert_eq(sip_method_from_str("Register", 8), SIP_METHOD_OTHER);
	cr_assert_eq(sip_method_from_str("REFER", 5), SIP_METHOD_REFER);
	cr_assert_eq(sip_method_from_str("", 0), SIP_METHOD_NONE);
	cr_assert_eq(sip_method_from_str("A B", 3), SIP_METHOD_NONE);
	for (int i = SIP_METHOD_INVITE; i < SIP_METHOD_OTHER; i++) {
		const char *n = sip_method_name((enum sip_method)i);

		cr_assert_eq(sip_method_from_str(n, strlen(n)), (enum sip_method)i);
	}
	cr_assert_str_eq(sip_method_name(SIP_METHOD__MAX), "?");
	cr_assert_str_eq(sip_flaw_name(SIP_FLAW_NO_END), "no-end");
	cr_assert_str_eq(sip_flaw_name((enum sip_flaw)99), "?");
}

/* method_of_token() compares words that overlap: a difference at any
 * byte of any method's name, in either overlapping half, must be seen. */
Test(sip, method_names_differ_at_every_byte)
{
	for (int i = SIP_METHOD_INVITE; i < SIP_METHOD_OTHER; i++) {
		const char *n = sip_method_name((enum sip_method)i);
		size_t len = strlen(n);
		char buf[16];

		for (size_t at = 0; at < len; at++) {
			for (const char *c = "AZaz09-.!"; *c; c++) {
				if (*c == n[at])
					continue;
				memcpy(buf, n, len);
				buf[at] = *c;
				cr_assert_neq(sip_method_from_str(buf, len), (enum sip_method)i,
					      "%.*s", (int)len, buf);
			}
		}
	}
}

Test(sip, bad_start_lines)
{
	assert_flaw("INVITE sip:b SIP/2.0", SIP_FLAW_START_LINE); /* truncated */
	assert_flaw("INVITE sip:b SI", SIP_FLAW_START_LINE);
	assert_flaw("INV", SIP_FLAW_START_LINE);
	assert_flaw("INVITE  sip:b SIP/2.0\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("INVITE sip:b\tSIP/2.0\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("INVITE sip:b SIP/2.0 \r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("INVITE sip:b HTTP/1.1\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("INVITE sip:b\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("INV(TE sip:b SIP/2.0\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw("GET / HTTP/1.0\r\n\r\n", SIP_FLAW_START_LINE);
	assert_flaw(" INVITE sip:b SIP/2.0\r\n\r\n", SIP_FLAW_START_LINE);
}

Test(sip, empty)
{
	cr_assert_eq(sip_scan(NULL, 0, &g_m, &g_flaw), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_EMPTY);
	cr_assert_eq(scan_n("", 0), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_EMPTY);
	assert_flaw("\r\n\r\n", SIP_FLAW_EMPTY);
	assert_flaw("\n", SIP_FLAW_EMPTY);
	assert_flaw(" \t \r\n  ", SIP_FLAW_EMPTY);
}

Test(sip, truncated_headers)
{
	assert_flaw("INVITE sip:b SIP/2.0\r\n", SIP_FLAW_NO_END);
	assert_flaw("INVITE sip:b SIP/2.0\r\nVia: SIP/2.0/UDP", SIP_FLAW_NO_END);
	assert_flaw("INVITE sip:b SIP/2.0\r\nVia: x\r\n", SIP_FLAW_NO_END);
	assert_flaw("INVITE sip:b SIP/2.0\r\nVia: x\r\n\r", SIP_FLAW_NO_END);
	assert_ok("INVITE sip:b SIP/2.0\r\nVia: x\r\n\r\n");
	cr_assert_eq(g_m.header_len, strlen("INVITE sip:b SIP/2.0\r\nVia: x\r\n\r\n"));
}

Test(sip, header_syntax)
{
	assert_flaw(REQ("NoColonHere\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ(": value\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("Bad Name: value\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("Bad(Name): value\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("Via\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_ok(REQ("X-Empty:\r\nCSeq: 1 REGISTER\r\n"));
	assert_ok(REQ("To:\r\n"));	/* empty first value, present */
	cr_assert_eq(g_m.n_to, 2);
	assert_span(g_m.to, "<sip:a@b>");
}

/*
 * The name is read back from the line's first ':' (sip.c, find_colon()):
 * whitespace before it is dropped, a name header_slot() does not know is
 * checked byte by byte, and names longer than one vector compare and
 * lines too near the end for one take the other paths.
 */
Test(sip, header_name_before_colon)
{
	assert_ok(REQ("User-Agent \t : phone\r\n"));
	assert_span(g_m.user_agent, "phone");
	assert_ok(REQ("X-A-Rather-Long-Header-Name: a:b\r\n"));
	assert_ok(REQ("X-A-Rather-Long.Header!Name%*_+`'~: v\r\n"));
	assert_ok(REQ("l: 0\r\n"));	/* near the end: fewer than 16 bytes left */
	cr_assert(g_m.content_length_ok);
	assert_ok(REQ("X: 1\r\n"));

	assert_flaw(REQ("X-A-Rather-Long-Header(Name: v\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("X-A-Rather-Long-Header-Name v\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("User Agent: phone\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_flaw(REQ("Vi@: x\r\n"), SIP_FLAW_HEADER_SYNTAX);	/* the length of "via" */
	assert_flaw(REQ("T\xf4: x\r\n"), SIP_FLAW_HEADER_SYNTAX);	/* 0xf4 | 0x20 is no letter */
	assert_flaw(REQ("X y\r\n"), SIP_FLAW_HEADER_SYNTAX);
	assert_ok(REQ("X\t:\r\n\t: y\r\n"));	/* HT before ':', then a fold */
}

Test(sip, binary)
{
	static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";

	cr_assert_eq(scan_n(BIN(garbage)), -EBADMSG);
	cr_assert(g_flaw == SIP_FLAW_START_LINE || g_flaw == SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN("INVITE sip:b SIP/2.0\r\nVia: a\0b\r\n\r\n")),
	    -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN("INVITE sip:\0 SIP/2.0\r\n\r\n")), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	assert_flaw(REQ("User-Agent: a\x01" "b\r\n"), SIP_FLAW_BINARY);
	assert_flaw(REQ("User-Agent: a\x7f\r\n"), SIP_FLAW_BINARY);
	/* a lone CR is a line end to some parsers: not ours to guess */
	assert_flaw(REQ("X-A: a\rUser-Agent: friendly-scanner\r\n"),
	    SIP_FLAW_BINARY);
	assert_ok(REQ("User-Agent: a\tb \xe2\x82\xac\r\n"));	/* HT, UTF-8 */
	assert_span(g_m.user_agent, "a\tb \xe2\x82\xac");
	/* binary body is fine */
	cr_assert_eq(scan_n(REQ("l: 3\r\n") "\0\1\2",
	    strlen(REQ("l: 3\r\n")) + 3), 0);
	cr_assert_eq(g_m.body.len, 3);
}

/* RFC 3261 25.1: quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F). A
 * control byte escaped inside a quoted-string is legal (RFC 4475 3.1.1.2),
 * except in the headers policy matches as text. */
Test(sip, quoted_pair_control_bytes)
{
	cr_assert_eq(scan_n(BIN("REGISTER sip:b SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 203.0.113.20\r\n"
	    "From: <sip:a@b>;tag=1\r\n"
	    "To: \"BEL:\\\a NUL:\\\0 DEL:\\\x7f\" <sip:a@b>\r\n"
	    "Call-ID: x\r\n\r\n")), 0);
	cr_assert_eq(g_m.to.len, strlen("\"BEL:\\\a NUL:\\") + 1 +
	    strlen(" DEL:\\\x7f\" <sip:a@b>"));
	/* ...across a fold too */
	cr_assert_eq(scan_n(BIN(REQ("X-A: \"a\r\n b\\\0\"\r\n"))), 0);
	/* the attacks: unescaped, outside quotes, after a closed quote, an
	 * escaped CR (a line end to some parsers), and in the headers whose
	 * text policy reads as a C string */
	cr_assert_eq(scan_n(BIN(REQ("X-A: \"a\0\"\r\n"))), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN(REQ("X-A: a\\\0\r\n"))), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN(REQ("X-A: \"a\" \\\0\r\n"))), -EBADMSG);
	cr_assert_eq(scan_n(BIN(REQ("X-A: \"a\\\\\"\\\0\r\n"))), -EBADMSG);
	cr_assert_eq(scan_n(BIN(REQ("X-A: \"a\\\rUser-Agent: x\"\r\n"))), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN(REQ("User-Agent: \"\\\0\" friendly-scanner\r\n"))), -EBADMSG);
	cr_assert_eq(g_flaw, SIP_FLAW_BINARY);
	cr_assert_eq(scan_n(BIN(REQ("Authorization: Digest username=\"a\\\0b\"\r\n"))), -EBADMSG);
	cr_assert_eq(scan_n(BIN(REQ("Proxy-Authorization: Digest username=\"a\\\0b\"\r\n"))), -EBADMSG);
	cr_assert_eq(scan_n(BIN("REGISTER sip:b SIP/2.0\r\nCall-ID: \"\\\0\"\r\n\r\n")), -EBADMSG);
	cr_assert_eq(scan_n(BIN("REGISTER sip:b SIP/2.0\r\ni: \"\\\0\"\r\n\r\n")), -EBADMSG);
	cr_assert_eq(scan_n(BIN("REGISTER sip:b SIP/2.0\r\nCSeq: 1 \"\\\0\"\r\n\r\n")), -EBADMSG);
	/* the start line never */
	cr_assert_eq(scan_n(BIN("REGISTER sip:\"\\\0\" SIP/2.0\r\n\r\n")), -EBADMSG);
}

/* Octets after the announced body are not part of the message (RFC 3261
 * 18.3): the body is what Content-Length says. */
Test(sip, body_is_content_length)
{
	assert_ok(REQ("Content-Length: 0\r\n") "INVITE sip:x SIP/2.0\r\n\r\n");
	cr_assert_eq(g_m.body.len, 0);
	assert_ok(REQ("l: 3\r\n") "abcdef");
	assert_span(g_m.body, "abc");
	/* more announced than arrived: left for sanity_check() to refuse */
	assert_ok(REQ("l: 9\r\n") "abcdef");
	cr_assert_eq(g_m.body.len, 6);
	/* two Content-Lengths: nothing trimmed, sanity refuses the pair */
	assert_ok(REQ("l: 1\r\nl: 2\r\n") "abcdef");
	cr_assert_eq(g_m.body.len, 6);
	/* without Content-Length the datagram is the message */
	assert_ok(REQ("") "abcdef");
	cr_assert_eq(g_m.body.len, 6);
}

Test(sip, too_many_headers)
{
	char msg[16384];
	size_t o;
	int i;

	o = (size_t)snprintf(msg, sizeof(msg), "REGISTER sip:b SIP/2.0\r\n");
	for (i = 0; i < 200; i++)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o,
		    "X-Pad-%d: %d\r\n", i, i);
	snprintf(msg + o, sizeof(msg) - o, "\r\n");
	assert_flaw(msg, SIP_FLAW_TOO_MANY_HEADERS);
}

Test(sip, cseq_edges)
{
	static const struct { const char *v; bool ok; uint32_t n; enum sip_method m; } c[] = {
		{ "1 REGISTER", true, 1, SIP_METHOD_REGISTER },
		{ "0 REGISTER", true, 0, SIP_METHOD_REGISTER },
		{ "2147483647 REGISTER", true, 2147483647U, SIP_METHOD_REGISTER },
		{ "00000000000000000001 BYE", true, 1, SIP_METHOD_BYE },
		{ "2147483648 REGISTER", false, 0, 0 },
		{ "99999999999 REGISTER", false, 0, 0 },
		{ "99999999999999999999999999 REGISTER", false, 0, 0 },
		{ "-1 REGISTER", false, 0, 0 },
		{ "+1 REGISTER", false, 0, 0 },
		{ "1 invite", true, 1, SIP_METHOD_OTHER },
		{ "1", false, 0, 0 },
		{ "1 ", false, 0, 0 },
		{ "REGISTER", false, 0, 0 },
		{ "1REGISTER", false, 0, 0 },
		{ "1 REGISTER x", false, 0, 0 },
		{ "1 REGI;STER", false, 0, 0 },
		{ "", false, 0, 0 },
		{ "1\tACK", true, 1, SIP_METHOD_ACK },
	};
	char msg[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(msg, sizeof(msg), REQ("CSeq: %s\r\n"), c[i].v);
		assert_ok(msg);
		cr_assert_eq(g_m.n_cseq, 1);
		cr_assert_eq(g_m.cseq_ok, c[i].ok, "CSeq '%s'", c[i].v);
		if (!c[i].ok)
			continue;
		cr_assert_eq(g_m.cseq_num, c[i].n, "CSeq '%s'", c[i].v);
		cr_assert_eq(g_m.cseq_method, c[i].m, "CSeq '%s'", c[i].v);
	}
}

Test(sip, content_length_edges)
{
	static const struct { const char *v; bool ok; uint32_t n; } c[] = {
		{ "0", true, 0 },
		{ "  12  ", true, 12 },
		{ "007", true, 7 },
		{ "2147483647", true, 2147483647U },
		{ "2147483648", false, 0 },
		{ "4294967328", false, 0 },
		{ "-5", false, 0 },
		{ "+5", false, 0 },
		{ "12abc", false, 0 },
		{ "1 2", false, 0 },
		{ "", false, 0 },
		{ "0x10", false, 0 },
	};
	char msg[256];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(msg, sizeof(msg), REQ("Content-Length: %s\r\n"), c[i].v);
		assert_ok(msg);
		cr_assert_eq(g_m.content_length_ok, c[i].ok, "C-L '%s'", c[i].v);
		if (c[i].ok)
			cr_assert_eq(g_m.content_length_val, c[i].n);
	}
	assert_ok(REQ(""));
	cr_assert(!g_m.content_length_ok);
	cr_assert_eq(g_m.n_content_length, 0);
}

/* Every occurrence of a header, in order, trimmed, folds kept inside;
 * names in any case, compact forms when asked for (issue 16). */
Test(sip, header_each_finds_every_occurrence)
{
	static const char msg[] =
		"\r\nREGISTER sip:example.org SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1\r\n"
		"User-Agent: first\r\n"
		"f: <sip:a@example.org>;tag=1\r\n"
		"uSeR-aGeNt :  second \r\n"
		"User-Agent-X: not this one\r\n"
		"USER-AGENT:\r\n third\r\n"
		"\r\n";
	struct sip_str v[4];
	struct sip_msg m;
	enum sip_flaw f;

	cr_assert_eq(sip_scan(msg, strlen(msg), &m, &f), 0);
	cr_assert_eq(sip_header_each(&m, "user-agent", 0, v, 4), 3);
	cr_assert_eq(v[0].len, 5);
	cr_assert_eq(memcmp(v[0].s, "first", 5), 0);
	cr_assert_eq(v[1].len, 6);
	cr_assert_eq(memcmp(v[1].s, "second", 6), 0);
	cr_assert_eq(v[2].len, 5);
	cr_assert_eq(memcmp(v[2].s, "third", 5), 0);
	cr_assert_eq(sip_header_each(&m, "user-agent", 0, v, 2), 2);
	cr_assert_eq(sip_header_each(&m, "from", 'f', v, 4), 1);
	cr_assert_eq(sip_header_each(&m, "contact", 'm', v, 4), 0);
}
