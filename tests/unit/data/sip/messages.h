/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Realistic SIP messages for test_sip.c, as the peers in the test lab send
 * them (sipsak, a softphone, sipvicious, Kamailio replies). C string
 * literals rather than files, so their exact bytes (CRLF) cannot be
 * changed by a checkout.
 */
#ifndef SIPWARDEN_TEST_SIP_MESSAGES_H
#define SIPWARDEN_TEST_SIP_MESSAGES_H

#define REG_SIPSAK \
	"REGISTER sip:198.51.100.10 SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 127.0.0.1:34567;branch=z9hG4bK.6f1a2b3c;rport;alias\r\n" \
	"From: sip:105@198.51.100.10;tag=4a5b6c7d\r\n" \
	"To: sip:105@198.51.100.10\r\n" \
	"Call-ID: 1251111111@127.0.0.1\r\n" \
	"CSeq: 1 REGISTER\r\n" \
	"Contact: sip:105@127.0.0.1:34567\r\n" \
	"Content-Length: 0\r\n" \
	"Max-Forwards: 70\r\n" \
	"User-Agent: sipsak 0.9.8.1\r\n" \
	"Expires: 15\r\n" \
	"\r\n"

/* 530 bytes; also the benchmark message */
#define REG_AUTH \
	"REGISTER sip:example.org SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-524287-1---8d1f;rport\r\n" \
	"Max-Forwards: 70\r\n" \
	"Contact: <sip:105@203.0.113.20:5060;rinstance=4f2c>\r\n" \
	"To: <sip:105@example.org>\r\n" \
	"From: \"Alice\" <sip:105@example.org>;tag=9a8b7c6d\r\n" \
	"Call-ID: NmQ1ZTk0YzA4ZjE2YzQ3\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"Expires: 3600\r\n" \
	"User-Agent: Zoiper rv2.10.8.2\r\n" \
	"Authorization: Digest username=\"105\",realm=\"example.org\"," \
	"nonce=\"Y2hhbGxlbmdl\",uri=\"sip:example.org\"," \
	"response=\"0123456789abcdef0123456789abcdef\",algorithm=MD5\r\n" \
	"Content-Length: 0\r\n" \
	"\r\n"

#define SDP \
	"v=0\r\n" \
	"o=- 1234 1234 IN IP4 203.0.113.20\r\n" \
	"s=-\r\n" \
	"c=IN IP4 203.0.113.20\r\n" \
	"t=0 0\r\n" \
	"m=audio 40000 RTP/AVP 0 8 101\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\n"

#define INVITE_HDRS \
	"INVITE sip:bob@example.org SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK776asdhds\r\n" \
	"Max-Forwards: 70\r\n" \
	"To: Bob <sip:bob@example.org>\r\n" \
	"From: Alice <sip:alice@example.org>;tag=1928301774\r\n" \
	"Call-ID: a84b4c76e66710@pc33.example.org\r\n" \
	"CSeq: 314159 INVITE\r\n" \
	"Contact: <sip:alice@203.0.113.20>\r\n" \
	"Content-Type: application/sdp\r\n"

#define OPT_SIPVICIOUS \
	"OPTIONS sip:100@198.51.100.10 SIP/2.0\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2831716021;rport\r\n" \
	"Max-Forwards: 70\r\n" \
	"To: \"sipvicious\"<sip:100@1.1.1.1>\r\n" \
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6338643238643737313363340131333434303639313830\r\n" \
	"User-Agent: friendly-scanner\r\n" \
	"Call-ID: 1234567890123456789012345\r\n" \
	"Contact: sip:100@203.0.113.66:5060\r\n" \
	"CSeq: 1 OPTIONS\r\n" \
	"Accept: application/sdp\r\n" \
	"Content-Length: 0\r\n" \
	"\r\n"

#define REPLY(status) \
	"SIP/2.0 " status "\r\n" \
	"Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bK-1;rport=5060\r\n" \
	"From: <sip:105@example.org>;tag=9a8b7c6d\r\n" \
	"To: <sip:105@example.org>;tag=b27e.1\r\n" \
	"Call-ID: NmQ1ZTk0YzA4ZjE2YzQ3\r\n" \
	"CSeq: 2 REGISTER\r\n" \
	"Server: kamailio (5.6.3 (x86_64/linux))\r\n" \
	"Content-Length: 0\r\n" \
	"\r\n"

#endif
