// SPDX-License-Identifier: GPL-2.0
/* IP:PORT endpoints as the tools write them: 1.2.3.4:443, [::1]:443. */
#include <ctype.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "addr.h"

/* Split "HOST:PORT" or "[V6]:PORT"; host is copied into @host. */
static int split(const char *s, char *host, size_t hlen, unsigned int *port, char *err,
		 size_t errlen)
{
	const char *colon, *h = s;
	size_t n;
	char *end;
	long p;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			snprintf(err, errlen, "'%s': an IPv6 endpoint is written [ADDR]:PORT", s);
			return -EINVAL;
		}
		h = s + 1;
		n = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			snprintf(err, errlen, "'%s': expected ADDR:PORT (IPv6 as [ADDR]:PORT)", s);
			return -EINVAL;
		}
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hlen) {
		snprintf(err, errlen, "'%s': missing or overlong address", s);
		return -EINVAL;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535) {
		snprintf(err, errlen, "'%s': the port must be a number from 1 to 65535", s);
		return -EINVAL;
	}
	*port = (unsigned int)p;
	return 0;
}

/**
 * khttps_addr_parse() - parse a literal IP endpoint
 * @s: "1.2.3.4:443", "0.0.0.0:443", "[::]:443", "[2001:db8::1]:8443"
 * @ss: filled in
 * @err: a message on failure
 * @errlen: its size
 *
 * Return: 0 or -EINVAL.
 */
int khttps_addr_parse(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned int port;
	int e;

	e = split(s, host, sizeof(host), &port, err, errlen);
	if (e)
		return e;
	memset(ss, 0, sizeof(*ss));
	if (*s != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (*s == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	snprintf(err, errlen, "'%s': '%s' is not an IP address", s, host);
	return -EINVAL;
}

/**
 * khttps_addr_resolve() - an endpoint whose host may be a name
 * @s: "HOST:PORT", "1.2.3.4:80" or "[::1]:80"
 * @ss: the first address the resolver gives
 * @err: a message on failure
 * @errlen: its size
 *
 * Return: 0, -EINVAL for a malformed endpoint, -ENOENT for an unknown name.
 */
int khttps_addr_resolve(const char *s, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char host[256], portstr[8];
	unsigned int port;
	int e;

	if (!khttps_addr_parse(s, ss, err, errlen))
		return 0;
	e = split(s, host, sizeof(host), &port, err, errlen);
	if (e)
		return e;
	snprintf(portstr, sizeof(portstr), "%u", port);
	e = getaddrinfo(host, portstr, &hints, &res);
	if (e) {
		snprintf(err, errlen, "'%s': cannot resolve '%s': %s", s, host, gai_strerror(e));
		return -ENOENT;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/**
 * khttps_addr_format() - "1.2.3.4:443" or "[::1]:443"
 * @ss: the endpoint
 * @buf: output, at least %KHTTPS_ADDRSTRLEN bytes
 * @len: size of @buf
 *
 * Return: @buf.
 */
const char *khttps_addr_format(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "-");
	}
	return buf;
}

/**
 * khttps_host_ok() - whether @s may name a host binding or be an SNI
 * @s: the name
 * @wildcard: a leading "*." label is allowed
 * @numeric: set when the last label is all digits (an IPv4 address, which
 *	is no host name); may be NULL
 *
 * The kernel's rule: labels of 1..63 letters, digits, '-' and '_' joined by
 * dots, at most 253 bytes, so that no name can be a path.
 */
bool khttps_host_ok(const char *s, bool wildcard, bool *numeric)
{
	size_t label = 0, len = strlen(s);
	bool digits = true;

	if (wildcard && !strncmp(s, "*.", 2))
		s += 2;
	if (len > 253)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!label)
				return false;
			label = 0;
			digits = true;
		} else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
			if (++label > 63)
				return false;
			digits &= !!isdigit((unsigned char)*s);
		} else {
			return false;
		}
	}
	if (numeric)
		*numeric = digits;
	return label > 0 && !digits;
}
