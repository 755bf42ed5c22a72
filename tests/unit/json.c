// SPDX-License-Identifier: GPL-2.0
/* JSON string escaping used by every --json view. */
#include "../harness.h"
#include "json.h"

static void render(const char *in, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	khttps_json_string(f, in);
	fclose(f);
}

TEST(plain) { char b[64]; render("abc", b, sizeof(b)); ASSERT_STREQ(b, "\"abc\""); }
TEST(quotes_and_backslash)
{
	char b[64];

	render("a\"b\\c", b, sizeof(b));
	ASSERT_STREQ(b, "\"a\\\"b\\\\c\"");
}
TEST(control_characters)
{
	char b[64];

	render("\n\t\r\x01\x7f", b, sizeof(b));
	ASSERT_STREQ(b, "\"\\n\\t\\r\\u0001\\u007f\"");
}
TEST(utf8_passes_through) { char b[64]; render("caf\xc3\xa9", b, sizeof(b)); ASSERT_STREQ(b, "\"caf\xc3\xa9\""); }
TEST(empty) { char b[8]; render("", b, sizeof(b)); ASSERT_STREQ(b, "\"\""); }

TEST_HARNESS_MAIN
