/* ascii_case_eq() answers what strncasecmp() does in the C locale, for
 * every pair of bytes, and over lengths: the SIP readers switched to it
 * must compare exactly as before. */
#include <criterion/criterion.h>
#include <locale.h>
#include <string.h>
#include <strings.h>

#include "asciicase.h"
#include "rng_harness.h"

Test(asciicase, every_byte_pair_as_strncasecmp)
{
	setlocale(LC_ALL, "C");
	for (int a = 0; a < 256; a++) {
		for (int b = 1; b < 256; b++) {	/* lit holds no NUL */
			char x = (char)a, y = (char)b;
			bool want = strncasecmp(&x, &y, 1) == 0;

			cr_assert_eq(ascii_case_eq(&x, &y, 1), want, "0x%02x vs 0x%02x", a, b);
		}
	}
}

Test(asciicase, words)
{
	cr_assert(ascii_case_eq("DiGeSt x", "digest", 6));
	cr_assert(ascii_case_eq("sip/2.0", "SIP/2.0", 7));
	cr_assert(ascii_case_eq(";TAG=1", ";tag=", 5));
	cr_assert_not(ascii_case_eq("SIP/2.1", "SIP/2.0", 7));
	/* '@' and '`', '[' and '{' differ only in bit 0x20 but are no letters */
	cr_assert_not(ascii_case_eq("@", "`", 1));
	cr_assert_not(ascii_case_eq("[", "{", 1));
	/* a NUL in the message is no match for a letter of the literal */
	cr_assert_not(ascii_case_eq("ta\0=", "tag=", 4));
	cr_assert(ascii_case_eq("anything", "x", 0));
}

/* The word compares (four and eight bytes at a time, the last word
 * overlapping) against strncasecmp() over every length they take, with
 * the difference, if any, at every position: a word that matched must
 * never hide a byte that did not. */
Test(asciicase, word_paths_as_strncasecmp)
{
	static const char alpha[] = "aZ@`[{:/=.-09 \t\r";
	uint64_t seed = 0x5eed5eed5eedULL;
	char a[32], l[32];

	setlocale(LC_ALL, "C");
	for (int round = 0; round < 20000; round++) {
		size_t n = xorshift64_below(&seed, 25);

		for (size_t i = 0; i < n; i++) {
			l[i] = alpha[xorshift64_below(&seed, sizeof(alpha) - 1)];
			a[i] = l[i];
			/* flip case, or change the byte, now and then */
			switch (xorshift64_below(&seed, 8)) {
			case 0: a[i] = (char)(a[i] ^ 0x20); break;
			case 1: a[i] = alpha[xorshift64_below(&seed, sizeof(alpha) - 1)]; break;
			}
		}
		bool want = strncasecmp(a, l, n) == 0;

		cr_assert_eq(ascii_case_eq(a, l, n), want, "round %d, n %zu", round, n);
	}
}
