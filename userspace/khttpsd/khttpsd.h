/* SPDX-License-Identifier: GPL-2.0 */
/* khttpsd: the handshake daemon. */
#ifndef KHTTPSD_H
#define KHTTPSD_H

#include <stdbool.h>
#include <syslog.h>

/* log.c */
void kd_log_init(bool to_stderr);
void kd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* KHTTPSD_H */
