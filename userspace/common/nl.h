/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to the khttps generic-netlink family through libnl-genl, with the
 * kernel's extended-ack message kept for the caller to print.
 */
#ifndef KHTTPS_NL_H
#define KHTTPS_NL_H

#include <stdint.h>
#include <sys/socket.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <linux/khttps.h>

struct khttps_nl {
	struct nl_sock *sk;
	int family;
	char err[256];		/* what went wrong, ready to print */
};

/* Called with the reply's top-level attributes, indexed by type. */
typedef int (*khttps_nl_parse_fn)(struct nlattr **tb, void *arg);

int khttps_nl_open(struct khttps_nl *nl);
void khttps_nl_close(struct khttps_nl *nl);
struct nl_msg *khttps_nl_msg(struct khttps_nl *nl, uint8_t cmd);
struct nl_msg *khttps_nl_dump_msg(struct khttps_nl *nl, uint8_t cmd);
int khttps_nl_put_addr(struct nl_msg *msg, int type, const struct sockaddr_storage *ss);
int khttps_nl_get_addr(struct nlattr *nest, struct sockaddr_storage *ss);
const char *khttps_stat_name(int stat);
int khttps_nl_request(struct khttps_nl *nl, struct nl_msg *msg,
		      khttps_nl_parse_fn parse, void *arg);
int khttps_nl_join(struct khttps_nl *nl, const char *group);

struct khttps_version {
	uint32_t api;
	uint32_t caps;
	char module[64];
	char kernel[128];
};
int khttps_nl_version(struct khttps_nl *nl, struct khttps_version *v);
const char *khttps_cap_name(uint32_t bit);

#endif /* KHTTPS_NL_H */
