/* SPDX-License-Identifier: GPL-2.0 */
/* IP:PORT endpoints as the tools write them (1.2.3.4:443, [::1]:443), and host names. */
#ifndef KHTTPS_ADDR_H
#define KHTTPS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define KHTTPS_ADDRSTRLEN 64

int khttps_addr_parse(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen);
int khttps_addr_resolve(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen);
const char *khttps_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len);

bool khttps_host_ok(const char *s, bool wildcard, bool *numeric);

#endif /* KHTTPS_ADDR_H */
