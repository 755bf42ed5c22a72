/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttps internal header: prototypes grouped by the file that defines them.
 */
#ifndef _KHTTPS_H
#define _KHTTPS_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <uapi/linux/khttps.h>

#define KHTTPS_CAPS_IMPLEMENTED	0U

/* main.c */
struct khttps_params {
	unsigned int handshake_timeout_ms;
	unsigned int max_pending_handshakes;
	unsigned int max_connections;
	unsigned int default_queue_len;
};
extern struct khttps_params khttps_params;

/* Module parameters change at any time through sysfs: read each once. */
#define khttps_param(name) READ_ONCE(khttps_params.name)

/* netlink.c */
int khttps_netlink_init(void);
void khttps_netlink_exit(void);

#endif /* _KHTTPS_H */
