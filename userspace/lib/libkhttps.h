/* SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0 */
/*
 * libkhttps: for applications that take plaintext connections from a khttps
 * accept queue.  All functions return 0 or a negative errno unless noted.
 *
 *	struct khttps_queue *q;
 *	struct khttps_conn_info info;
 *	int fd;
 *
 *	if (khttps_queue_open("app", 0, &q) < 0) ...
 *	while ((fd = khttps_accept(q, &info, SOCK_CLOEXEC)) >= 0) {
 *		read(fd, ...); write(fd, ...); sendfile(fd, file, ...);
 *		close(fd);		(sends close_notify)
 *	}
 *
 * The fd is a socket on which the kernel does the TLS records: read, write,
 * recv, send, sendfile, splice, poll and epoll work as on plain TCP.  The
 * client's close_notify reads as EOF; shutdown(SHUT_WR) and close send ours;
 * the record keys cannot be read back (getsockopt(SOL_TLS) fails with EPERM).
 * See KHTTPS_IOC_ACCEPT in <linux/khttps.h> for the details.
 */
#ifndef LIBKHTTPS_H
#define LIBKHTTPS_H

#include <stddef.h>
#include <linux/khttps.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0". */
const char *khttps_lib_version(void);

/*
 * The loaded module's version into @buf (NUL-terminated).
 * Returns 0, -ENOENT when khttps.ko is not loaded, -ENOSPC if @len is too small.
 */
int khttps_module_version(char *buf, size_t len);

struct khttps_queue;

/* khttps_queue_open() flags */
#define KHTTPS_QUEUE_NONBLOCK	0x1	/* khttps_accept() returns -EAGAIN instead of waiting */

/*
 * Attach to the accept queue @name of the caller's network namespace.
 * Errors: -ENOENT no binding names that queue (or khttps.ko is not loaded:
 * no /dev/khttps), -EACCES neither CAP_NET_ADMIN nor the queue's user or
 * group, -EINVAL a bad name or flag.
 */
int khttps_queue_open(const char *name, int flags, struct khttps_queue **qp);

/* The queue's fd, for poll/epoll: readable while a connection waits. */
int khttps_queue_fd(const struct khttps_queue *q);

/*
 * Take the oldest waiting connection.  @flags: SOCK_CLOEXEC, SOCK_NONBLOCK
 * for the new fd, as accept4().  @info (may be NULL) gets the connection's
 * peer and local address, SNI, ALPN, TLS version and cipher, and with
 * KHTTPS_CONN_CLIENT_CERT in info->flags the verified client certificate's
 * subject, issuer, serial and SHA-256 (bindings with clientcert).
 * Returns the fd (>= 0), or -EAGAIN (non-blocking queue, nothing waits),
 * -EINTR, or another negative errno.
 */
int khttps_accept(struct khttps_queue *q, struct khttps_conn_info *info, int flags);

/* Detach and free.  Connections already accepted are unaffected. */
void khttps_queue_close(struct khttps_queue *q);

/* "TLSv1.2", "TLSv1.3", or "unknown"; never NULL. */
const char *khttps_tls_version_name(unsigned int version);

/*
 * The name of the connection's record cipher: TLS 1.3 suite names such as
 * "TLS_AES_128_GCM_SHA256"; for TLS 1.2 the record part only, such as
 * "AES128-GCM-SHA256" (the key exchange is not known here); "unknown" otherwise.
 */
const char *khttps_cipher_name(unsigned int version, unsigned int cipher);

/* @addr (peer or local of an info) as "1.2.3.4:443" or "[::1]:443" into @buf. */
int khttps_addr_string(const struct __kernel_sockaddr_storage *addr, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBKHTTPS_H */
