// SPDX-License-Identifier: GPL-2.0
/* Minimal JSON output for the tools' --json views. */
#include "json.h"

/**
 * khttps_json_string() - write @s as a JSON string literal, quotes included
 * @f: output
 * @s: NUL-terminated text; quotes, backslashes and control characters are
 *     escaped, other bytes (UTF-8 included) pass through unchanged
 */
void khttps_json_string(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}
