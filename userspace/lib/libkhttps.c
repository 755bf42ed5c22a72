// SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0
/* libkhttps: accept queues on /dev/khttps, and version queries. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/tls.h>

#include "libkhttps.h"

#define KHTTPS_API __attribute__((visibility("default")))

struct khttps_queue {
	int fd;
};

KHTTPS_API const char *khttps_lib_version(void)
{
	return KHTTPS_VERSION;
}

KHTTPS_API int khttps_module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/khttps/version", "re");
	char line[64];
	size_t n;

	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	n = strcspn(line, "\n");
	if (n + 1 > len)
		return -ENOSPC;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return 0;
}

KHTTPS_API int khttps_queue_open(const char *name, int flags, struct khttps_queue **qp)
{
	struct khttps_attach a = { 0 };
	struct khttps_queue *q;
	int err;

	if ((flags & ~KHTTPS_QUEUE_NONBLOCK) || !name || strlen(name) >= sizeof(a.name))
		return -EINVAL;
	strcpy(a.name, name);
	q = malloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->fd = open("/dev/" KHTTPS_DEV_NAME,
		     O_RDWR | O_CLOEXEC | (flags & KHTTPS_QUEUE_NONBLOCK ? O_NONBLOCK : 0));
	if (q->fd < 0) {
		err = -errno;
		free(q);
		return err;
	}
	if (ioctl(q->fd, KHTTPS_IOC_ATTACH, &a) < 0) {
		err = -errno;
		close(q->fd);
		free(q);
		return err;
	}
	*qp = q;
	return 0;
}

KHTTPS_API int khttps_queue_fd(const struct khttps_queue *q)
{
	return q->fd;
}

KHTTPS_API int khttps_accept(struct khttps_queue *q, struct khttps_conn_info *info, int flags)
{
	struct khttps_accept a;

	memset(&a, 0, sizeof(a));
	a.flags = flags;
	if (ioctl(q->fd, KHTTPS_IOC_ACCEPT, &a) < 0)
		return -errno;
	if (info)
		*info = a.info;
	return a.fd;
}

KHTTPS_API void khttps_queue_close(struct khttps_queue *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q);
}

KHTTPS_API const char *khttps_tls_version_name(unsigned int version)
{
	switch (version) {
	case TLS_1_2_VERSION:
		return "TLSv1.2";
	case TLS_1_3_VERSION:
		return "TLSv1.3";
	default:
		return "unknown";
	}
}

KHTTPS_API const char *khttps_cipher_name(unsigned int version, unsigned int cipher)
{
	bool v13 = version == TLS_1_3_VERSION;

	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		return v13 ? "TLS_AES_128_GCM_SHA256" : "AES128-GCM-SHA256";
	case TLS_CIPHER_AES_GCM_256:
		return v13 ? "TLS_AES_256_GCM_SHA384" : "AES256-GCM-SHA384";
	case TLS_CIPHER_CHACHA20_POLY1305:
		return v13 ? "TLS_CHACHA20_POLY1305_SHA256" : "CHACHA20-POLY1305";
	default:
		return "unknown";
	}
}

KHTTPS_API int khttps_addr_string(const struct __kernel_sockaddr_storage *addr, char *buf,
				  size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)addr;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		n = snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		n = snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
