// SPDX-License-Identifier: GPL-2.0
/*
 * OpenSSL's key-log lines, formatted cheaply.
 *
 * The TLS 1.3 traffic secrets reach us only as key-log lines (DESIGN.md),
 * and OpenSSL 3.0 builds each line a byte at a time, one sprintf("%02x")
 * per byte of the client random and of the secret: five lines, about 340
 * calls per TLS 1.3 handshake.  glibc's printf machinery makes that 7% of
 * a worker's instructions per resumed handshake (callgrind, bench resumed-ec
 * cell: 24,155 calls, 17 M of 235 M instructions in 71 handshakes).
 *
 * libssl is built with _FORTIFY_SOURCE and so calls __sprintf_chk.  khttpsd
 * defines it and exports it (the Makefile's --export-dynamic-symbol), so the
 * dynamic linker binds libssl's calls here: "%02x" of a byte is written
 * directly, everything else goes on to glibc's __vsprintf_chk, checks and
 * all.  A build without the export still works, only slower.
 */
#include <stdarg.h>
#include <stddef.h>

/* glibc's (stdio2.h has them only under _FORTIFY_SOURCE, and not this one's definition). */
extern int __vsprintf_chk(char *s, int flag, size_t slen, const char *fmt, va_list ap);
int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...);

int __sprintf_chk(char *s, int flag, size_t slen, const char *fmt, ...)
{
	static const char digits[] = "0123456789abcdef";
	va_list ap;
	unsigned int v;
	int n;

	va_start(ap, fmt);
	if (fmt[0] == '%' && fmt[1] == '0' && fmt[2] == '2' && fmt[3] == 'x' && !fmt[4] &&
	    slen >= 3) {
		v = va_arg(ap, unsigned int);
		if (v <= 0xff) {
			va_end(ap);
			s[0] = digits[v >> 4];
			s[1] = digits[v & 15];
			s[2] = '\0';
			return 2;
		}
		va_end(ap);
		va_start(ap, fmt);
	}
	n = __vsprintf_chk(s, flag, slen, fmt, ap);
	va_end(ap);
	return n;
}
