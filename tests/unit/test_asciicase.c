/* ascii_case_eq() answers what strncasecmp() does in the C locale, for
 * every pair of bytes, and over lengths: the SIP readers switched to it
 * must compare exactly as before. */
#include <criterion/criterion.h>
#include <locale.h>
#include <string.h>
#include <strings.h>

#include "asciicase.h"

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
