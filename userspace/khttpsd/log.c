// SPDX-License-Identifier: GPL-2.0
/* khttpsd logging: stderr in the foreground, syslog otherwise. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "khttpsd.h"

static bool log_stderr = true, log_debug;

/**
 * kd_log_init() - choose where log lines go
 * @to_stderr: true for stderr (foreground), false for syslog (daemon facility)
 * @debug: also LOG_DEBUG lines (one per handshake)
 */
void kd_log_init(bool to_stderr, bool debug)
{
	log_stderr = to_stderr;
	log_debug = debug;
	if (!to_stderr)
		openlog("khttpsd", LOG_PID, LOG_DAEMON);
}

/**
 * kd_log() - one log line; never pass key material
 * @prio: syslog priority
 * @fmt: printf format, without a trailing newline
 */
void kd_log(int prio, const char *fmt, ...)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
	};
	va_list ap;

	if ((prio & 7) == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		fprintf(stderr, "khttpsd: %s: ", names[prio & 7]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(prio, fmt, ap);
	}
	va_end(ap);
}
