/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khttps: kernel-mode HTTPS for Linux.
 *
 * This header is the one ABI shared by khttps.ko and user space (khttpsd,
 * khttpsctl, libkhttps).  It is the protocol document: every command says
 * who sends it and what the answer is, every attribute what it carries.
 *
 * Transport: generic netlink, family KHTTPS_GENL_NAME, per network
 * namespace.  Every command and every multicast group needs CAP_NET_ADMIN
 * in the initial user namespace, held both by the task that opened the
 * netlink socket and by the task that sends on it.
 *
 * Errors come back as a netlink error with an extended-ack message
 * (NETLINK_EXT_ACK) that says what was wrong with the request.
 */
#ifndef _UAPI_LINUX_KHTTPS_H
#define _UAPI_LINUX_KHTTPS_H

#include <linux/types.h>

#define KHTTPS_GENL_NAME	"khttps"

/*
 * KHTTPS_API_VERSION is the version of this header's protocol.  It is the
 * generic-netlink family version, and a request may carry it in
 * KHTTPS_A_API_VERSION: the module refuses a request that names another
 * version (EPROTO, with an extack message naming both), so a daemon and a
 * module from different builds fail loudly instead of misreading each other.
 */
#define KHTTPS_API_VERSION	1

/* Multicast groups (join needs CAP_NET_ADMIN). */
#define KHTTPS_MCGRP_HANDSHAKE	"handshake"	/* READY: a handshake waits for a worker */
#define KHTTPS_MCGRP_EVENTS	"events"	/* reason-coded connection errors, admin events */

/**
 * enum khttps_cmd - generic-netlink commands
 * @KHTTPS_CMD_UNSPEC: never used
 * @KHTTPS_CMD_VERSION_GET: any admin tool -> kernel, do.  Request: optional
 *	%KHTTPS_A_API_VERSION (the caller's).  Reply: %KHTTPS_A_API_VERSION,
 *	%KHTTPS_A_MODULE_VERSION, %KHTTPS_A_KERNEL_RELEASE, %KHTTPS_A_CAPS.
 */
enum khttps_cmd {
	KHTTPS_CMD_UNSPEC,
	KHTTPS_CMD_VERSION_GET,

	__KHTTPS_CMD_MAX,
	KHTTPS_CMD_MAX = __KHTTPS_CMD_MAX - 1
};

/**
 * enum khttps_attr - top-level attributes
 * @KHTTPS_A_UNSPEC: never used
 * @KHTTPS_A_API_VERSION: u32, %KHTTPS_API_VERSION of the sender
 * @KHTTPS_A_MODULE_VERSION: NUL-terminated string, khttps.ko's version
 * @KHTTPS_A_KERNEL_RELEASE: NUL-terminated string, the running kernel's release
 * @KHTTPS_A_CAPS: u32, bitmask of &enum khttps_cap the module implements
 */
enum khttps_attr {
	KHTTPS_A_UNSPEC,
	KHTTPS_A_API_VERSION,
	KHTTPS_A_MODULE_VERSION,
	KHTTPS_A_KERNEL_RELEASE,
	KHTTPS_A_CAPS,

	__KHTTPS_A_MAX,
	KHTTPS_A_MAX = __KHTTPS_A_MAX - 1
};

/**
 * enum khttps_cap - what this build of khttps.ko implements
 *
 * A bit is set only when the feature works end to end in the module, so a
 * tool can tell an old module from a new one without guessing.
 *
 * @KHTTPS_CAP_LISTEN: kernel-owned listeners and the handshake upcall
 * @KHTTPS_CAP_TLS12: TLS 1.2 record keys can be installed
 * @KHTTPS_CAP_TLS13: TLS 1.3 record keys can be installed
 * @KHTTPS_CAP_FORWARD: in-kernel relay of plaintext to a backend
 * @KHTTPS_CAP_QUEUE: accept queues on /dev/khttps
 */
enum khttps_cap {
	KHTTPS_CAP_LISTEN	= 1U << 0,
	KHTTPS_CAP_TLS12	= 1U << 1,
	KHTTPS_CAP_TLS13	= 1U << 2,
	KHTTPS_CAP_FORWARD	= 1U << 3,
	KHTTPS_CAP_QUEUE	= 1U << 4,
};

#endif /* _UAPI_LINUX_KHTTPS_H */
