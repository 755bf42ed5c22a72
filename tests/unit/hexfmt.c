// SPDX-License-Identifier: GPL-2.0
/* khttpsd's __sprintf_chk (hexfmt.c): "%02x" of a byte written directly, the rest by glibc. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../harness.h"

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);

/* What OpenSSL's key log does: one call per byte. */
TEST(hex_bytes)
{
	static const unsigned char b[] = { 0x00, 0x0f, 0x10, 0x7f, 0xa5, 0xff };
	char out[2 * sizeof(b) + 1];
	size_t i;

	for (i = 0; i < sizeof(b); i++)
		ASSERT_EQ(__sprintf_chk(out + 2 * i, 1, sizeof(out) - 2 * i, "%02x", b[i]), 2);
	ASSERT_STREQ(out, "000f107fa5ff");
}

/* Anything else is glibc's: wider values, other formats. */
TEST(other_formats)
{
	char out[32];

	ASSERT_EQ(__sprintf_chk(out, 1, sizeof(out), "%02x", 0x1ffu), 3);
	ASSERT_STREQ(out, "1ff");
	ASSERT_EQ(__sprintf_chk(out, 1, sizeof(out), "%02X", 0xabu), 2);
	ASSERT_STREQ(out, "AB");
	ASSERT_EQ(__sprintf_chk(out, 1, sizeof(out), "%02x%s", 5u, "-z"), 4);
	ASSERT_STREQ(out, "05-z");
	ASSERT_EQ(__sprintf_chk(out, 1, sizeof(out), "%s:%u", "ab", 443u), 6);
	ASSERT_STREQ(out, "ab:443");
	/* The fast path is only for a byte that fits with its NUL. */
	memset(out, 'x', sizeof(out));
	ASSERT_EQ(__sprintf_chk(out, 1, 3, "%02x", 7u), 2);
	ASSERT_STREQ(out, "07");
}

TEST_HARNESS_MAIN
