// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: the "khttps" generic-netlink family.
 *
 * Every command and multicast group is admin-only: CAP_NET_ADMIN in the
 * initial user namespace, held by the sending task (GENL_ADMIN_PERM) and by
 * whoever opened the netlink socket (khttps_nl_opener_ok: GENL_ADMIN_PERM
 * skips the opener when the sender names the kernel as its destination).
 * The family is netns-aware; each request acts on the namespace of the
 * socket it came in on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/utsname.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

enum { KHTTPS_MCGRP_IDX_HANDSHAKE, KHTTPS_MCGRP_IDX_EVENTS };

static struct genl_family khttps_genl_family;

static const struct nla_policy khttps_addr_policy[KHTTPS_ADDR_A_MAX + 1] = {
	[KHTTPS_ADDR_A_IP]	= { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[KHTTPS_ADDR_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy khttps_crypto_policy[KHTTPS_CRYPTO_A_MAX + 1] = {
	[KHTTPS_CRYPTO_A_KEY]		= { .type = NLA_BINARY, .len = 32 },
	[KHTTPS_CRYPTO_A_IV]		= { .type = NLA_BINARY, .len = 12 },
	[KHTTPS_CRYPTO_A_SALT]		= { .type = NLA_BINARY, .len = 4 },
	[KHTTPS_CRYPTO_A_REC_SEQ]	= NLA_POLICY_EXACT_LEN(8),
};

/* NLA_POLICY_RANGE() holds 16-bit bounds only. */
/* Not const: 6.1's policy points to a mutable range. */
static struct netlink_range_validation khttps_max_conns_range __ro_after_init = {
	.min = 1, .max = 4194304,
};

static const struct nla_policy khttps_tls_policy[KHTTPS_POLICY_A_MAX + 1] = {
	[KHTTPS_POLICY_A_MIN_VERSION]	= NLA_POLICY_RANGE(NLA_U16, TLS_1_2_VERSION, TLS_1_3_VERSION),
	[KHTTPS_POLICY_A_MAX_VERSION]	= NLA_POLICY_RANGE(NLA_U16, TLS_1_2_VERSION, TLS_1_3_VERSION),
	[KHTTPS_POLICY_A_ALPN]		= { .type = NLA_NUL_STRING, .len = 255 },
	[KHTTPS_POLICY_A_CHAIN]		= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_POLICY_A_CLIENT_CERT]	= NLA_POLICY_MAX(NLA_U8, __KHTTPS_CLIENT_CERT_MAX - 1),
	[KHTTPS_POLICY_A_CA]		= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_POLICY_A_CRL]		= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_POLICY_A_PROXY]		= NLA_POLICY_MAX(NLA_U8, KHTTPS_PROXY_V2),
	[KHTTPS_POLICY_A_RESUME]	= NLA_POLICY_MAX(NLA_U8, 1),
	[KHTTPS_POLICY_A_CLOSE_NOTIFY]	= NLA_POLICY_MAX(NLA_U8, 1),
	[KHTTPS_POLICY_A_ENGINE]	= NLA_POLICY_MAX(NLA_U8, __KHTTPS_ENGINE_MAX - 1),
	[KHTTPS_POLICY_A_MAX_CONNS]	= NLA_POLICY_FULL_RANGE(NLA_U32, &khttps_max_conns_range),
};

static const struct nla_policy khttps_client_cert_policy[KHTTPS_CLIENT_CERT_A_MAX + 1] = {
	[KHTTPS_CLIENT_CERT_A_SUBJECT]	= { .type = NLA_NUL_STRING, .len = KHTTPS_DN_MAX - 1 },
	[KHTTPS_CLIENT_CERT_A_ISSUER]	= { .type = NLA_NUL_STRING, .len = KHTTPS_DN_MAX - 1 },
	[KHTTPS_CLIENT_CERT_A_SERIAL]	= { .type = NLA_NUL_STRING, .len = KHTTPS_SERIAL_MAX - 1 },
	[KHTTPS_CLIENT_CERT_A_SHA256]	= NLA_POLICY_EXACT_LEN(32),
	[KHTTPS_CLIENT_CERT_A_CN]	= { .type = NLA_NUL_STRING, .len = KHTTPS_DN_MAX - 1 },
};

static const struct nla_policy khttps_policy[KHTTPS_A_MAX + 1] = {
	[KHTTPS_A_API_VERSION]	= { .type = NLA_U32 },
	[KHTTPS_A_BIND]		= NLA_POLICY_NESTED(khttps_addr_policy),
	[KHTTPS_A_CERT]		= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_A_KEY]		= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_A_BACKEND]	= NLA_POLICY_NESTED(khttps_addr_policy),
	[KHTTPS_A_QUEUE]	= { .type = NLA_NUL_STRING, .len = KHTTPS_QUEUE_NAME_MAX - 1 },
	[KHTTPS_A_CONN_ID]	= { .type = NLA_U64 },
	[KHTTPS_A_STATUS]	= NLA_POLICY_MAX(NLA_U32, __KHTTPS_HS_MAX - 1),
	[KHTTPS_A_TLS_VERSION]	= { .type = NLA_U16 },
	[KHTTPS_A_CIPHER]	= { .type = NLA_U16 },
	[KHTTPS_A_TX]		= NLA_POLICY_NESTED(khttps_crypto_policy),
	[KHTTPS_A_RX]		= NLA_POLICY_NESTED(khttps_crypto_policy),
	[KHTTPS_A_SNI]		= { .type = NLA_NUL_STRING, .len = 255 },
	[KHTTPS_A_ALPN]		= { .type = NLA_NUL_STRING, .len = 255 },
	[KHTTPS_A_QUEUE_UID]	= { .type = NLA_U32 },
	[KHTTPS_A_QUEUE_GID]	= { .type = NLA_U32 },
	[KHTTPS_A_DAEMON]	= { .type = NLA_REJECT },
	[KHTTPS_A_KIND]		= NLA_POLICY_MAX(NLA_U8, __KHTTPS_BIND_MAX - 1),
	[KHTTPS_A_HOST]		= { .type = NLA_NUL_STRING, .len = 253 },
	[KHTTPS_A_PORT]		= NLA_POLICY_MIN(NLA_U16, 1),
	[KHTTPS_A_STORE]	= { .type = NLA_NUL_STRING, .len = PATH_MAX - 1 },
	[KHTTPS_A_BINDING_ID]	= { .type = NLA_U64 },
	[KHTTPS_A_SELECT]	= { .type = NLA_REJECT },
	[KHTTPS_A_SKIP_CCS]	= { .type = NLA_FLAG },
	[KHTTPS_A_POLICY]	= NLA_POLICY_NESTED(khttps_tls_policy),
	[KHTTPS_A_CLIENT_CERT]	= NLA_POLICY_NESTED(khttps_client_cert_policy),
	[KHTTPS_A_SUITE]	= { .type = NLA_U16 },
	[KHTTPS_A_RESUMED]	= { .type = NLA_FLAG },
	[KHTTPS_A_CLOSE_NOTIFY]	= { .type = NLA_REJECT },
	[KHTTPS_A_SESSION_TOKEN] = NLA_POLICY_EXACT_LEN(KHTTPS_SESSION_TOKEN_LEN),
	[KHTTPS_A_SESSION_LIFE]	= { .type = NLA_U32 },
	/* Only in what the kernel sends. */
	[KHTTPS_A_REASON]	= { .type = NLA_REJECT },
	[KHTTPS_A_TIME]		= { .type = NLA_REJECT },
	[KHTTPS_A_LOCAL]	= { .type = NLA_REJECT },
	[KHTTPS_A_PHASE]	= { .type = NLA_REJECT },
	[KHTTPS_A_AGE_MS]	= { .type = NLA_REJECT },
	[KHTTPS_A_LAST]		= { .type = NLA_REJECT },
	[KHTTPS_A_NOTIFY_PORT]	= { .type = NLA_U32 },
};

/*
 * af_netlink checks the socket's opener only when the sender gave no
 * destination address (NETLINK_SKB_DST), so a privileged task could use a
 * socket that an unprivileged one opened and handed over.  Check it always.
 */
static bool khttps_nl_opener_ok(const struct sk_buff *skb)
{
	struct sock *sk = NETLINK_CB(skb).sk;
	struct socket *sock = sk ? sk->sk_socket : NULL;

	return sock && sock->file && file_ns_capable(sock->file, &init_user_ns, CAP_NET_ADMIN);
}

/*
 * A required attribute: NLMSGERR_ATTR_MISS_TYPE names it for programs, the
 * message for people.  True when it is missing.
 */
#define khttps_nl_require(info, type)						\
	({									\
		bool __missing = GENL_REQ_ATTR_CHECK(info, type);		\
										\
		if (__missing)							\
			NL_SET_ERR_MSG((info)->extack, "khttps: " #type " is missing"); \
		__missing;							\
	})

#define KHTTPS_MSG_OPENER "khttps: the netlink socket was opened without CAP_NET_ADMIN"

static int khttps_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
			      struct genl_info *info)
{
	struct nlattr *attr = info->attrs[KHTTPS_A_API_VERSION];

	if (!khttps_nl_opener_ok(skb)) {
		NL_SET_ERR_MSG(info->extack, KHTTPS_MSG_OPENER);
		return -EPERM;
	}
	/* Refuse other API versions: mismatched builds must not misread attributes. */
	if (attr && nla_get_u32(attr) != KHTTPS_API_VERSION) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
					"khttps API version %u not supported: this module speaks version %u",
					nla_get_u32(attr), KHTTPS_API_VERSION);
		return -EPROTO;
	}
	return 0;
}

static int khttps_nl_dump_start(struct netlink_callback *cb)
{
	if (!khttps_nl_opener_ok(cb->skb)) {
		NL_SET_ERR_MSG(cb->extack, KHTTPS_MSG_OPENER);
		return -EPERM;
	}
	return 0;
}

static int khttps_nl_put_addr(struct sk_buff *msg, int type, const struct sockaddr_storage *ss)
{
	struct nlattr *nest = nla_nest_start(msg, type);
	int err = -EMSGSIZE;

	if (!nest)
		return -EMSGSIZE;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		if (nla_put_in_addr(msg, KHTTPS_ADDR_A_IP, sin->sin_addr.s_addr) ||
		    nla_put_u16(msg, KHTTPS_ADDR_A_PORT, ntohs(sin->sin_port)))
			goto err;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		if (nla_put_in6_addr(msg, KHTTPS_ADDR_A_IP, &sin6->sin6_addr) ||
		    nla_put_u16(msg, KHTTPS_ADDR_A_PORT, ntohs(sin6->sin6_port)))
			goto err;
	}
	nla_nest_end(msg, nest);
	return 0;
err:
	nla_nest_cancel(msg, nest);
	return err;
}

static int khttps_nl_get_addr(const struct nlattr *attr, struct sockaddr_storage *ss,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KHTTPS_ADDR_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KHTTPS_ADDR_A_MAX, attr, khttps_addr_policy, extack);
	if (err)
		return err;
	if (!tb[KHTTPS_ADDR_A_IP] || !tb[KHTTPS_ADDR_A_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "khttps: an address needs an IP and a port");
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (nla_len(tb[KHTTPS_ADDR_A_IP]) == sizeof(struct in_addr)) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = nla_get_in_addr(tb[KHTTPS_ADDR_A_IP]);
		sin->sin_port = htons(nla_get_u16(tb[KHTTPS_ADDR_A_PORT]));
	} else if (nla_len(tb[KHTTPS_ADDR_A_IP]) == sizeof(struct in6_addr)) {
		struct sockaddr_in6 *sin6 = (void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = nla_get_in6_addr(tb[KHTTPS_ADDR_A_IP]);
		sin6->sin6_port = htons(nla_get_u16(tb[KHTTPS_ADDR_A_PORT]));
	} else {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_ADDR_A_IP],
				    "khttps: an IP address is 4 (IPv4) or 16 (IPv6) bytes");
		return -EINVAL;
	}
	return 0;
}

static int khttps_nl_put_stats(struct sk_buff *msg, const struct khttps_stats *st)
{
	struct nlattr *nest = nla_nest_start(msg, KHTTPS_A_STATS);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = KHTTPS_STAT_UNSPEC + 1; i < __KHTTPS_STAT_MAX; i++) {
		if (i == KHTTPS_STAT_PAD)
			continue;
		if (nla_put_u64_64bit(msg, i, atomic64_read(&st->st[i]), KHTTPS_STAT_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int khttps_nl_version_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_put;
	if (nla_put_u32(msg, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION) ||
	    nla_put_string(msg, KHTTPS_A_MODULE_VERSION, KHTTPS_VERSION) ||
	    nla_put_string(msg, KHTTPS_A_KERNEL_RELEASE, init_utsname()->release) ||
	    nla_put_u32(msg, KHTTPS_A_CAPS, KHTTPS_CAPS_IMPLEMENTED))
		goto err_put;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_put:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* A host name as the kernel keeps and compares it: checked, in lower case. */
static int khttps_nl_get_host(const struct nlattr *attr, bool wildcard, char buf[254],
			      struct netlink_ext_ack *extack)
{
	char *p;

	if (!khttps_host_name_ok(nla_data(attr), wildcard)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "khttps: a host name is dot-separated labels of letters, digits, '-' and '_' (a binding's may start with \"*.\")");
		return -EINVAL;
	}
	strscpy(buf, nla_data(attr), 254);
	for (p = buf; *p; p++)
		*p = tolower(*p);
	return 0;
}

/* What names a binding (add and del): kind, and address, or host and port, or port. */
static int khttps_nl_get_binding_key(struct genl_info *info, struct khttps_binding_cfg *cfg,
				     char host[254])
{
	struct nlattr **a = info->attrs;

	cfg->kind = a[KHTTPS_A_KIND] ? nla_get_u8(a[KHTTPS_A_KIND]) : KHTTPS_BIND_ADDR;
	if (cfg->kind == KHTTPS_BIND_ADDR) {
		if (a[KHTTPS_A_HOST] || a[KHTTPS_A_PORT] || a[KHTTPS_A_STORE]) {
			NL_SET_ERR_MSG(info->extack,
				       "khttps: host, port and store are for host and ccs bindings");
			return -EINVAL;
		}
		if (khttps_nl_require(info, KHTTPS_A_BIND))
			return -EINVAL;
		return khttps_nl_get_addr(a[KHTTPS_A_BIND], &cfg->addr, info->extack);
	}
	if (a[KHTTPS_A_BIND]) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_BIND],
				    "khttps: host and ccs bindings have a port, not an address");
		return -EINVAL;
	}
	if (khttps_nl_require(info, KHTTPS_A_PORT))
		return -EINVAL;
	cfg->port = nla_get_u16(a[KHTTPS_A_PORT]);
	if (cfg->kind == KHTTPS_BIND_CCS) {
		if (a[KHTTPS_A_HOST]) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_HOST],
					    "khttps: a ccs binding has no host name");
			return -EINVAL;
		}
		return 0;
	}
	if (khttps_nl_require(info, KHTTPS_A_HOST))
		return -EINVAL;
	cfg->host = host;
	return khttps_nl_get_host(a[KHTTPS_A_HOST], true, host, info->extack);
}

/* An ALPN list: comma-separated protocol names of printable ASCII. */
static bool khttps_alpn_ok(const char *s)
{
	size_t item = 0;

	for (; *s; s++) {
		if (*s == ',') {
			if (!item)
				return false;
			item = 0;
		} else if (*s > ' ' && *s < 0x7f) {
			item++;
		} else {
			return false;
		}
	}
	return item > 0;
}

/* The meaning the nested policy's types cannot check. */
static int khttps_nl_check_policy(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KHTTPS_POLICY_A_MAX + 1];
	int err, i;

	err = nla_parse_nested(tb, KHTTPS_POLICY_A_MAX, attr, khttps_tls_policy, extack);
	if (err)
		return err;
	if (tb[KHTTPS_POLICY_A_MIN_VERSION] && tb[KHTTPS_POLICY_A_MAX_VERSION] &&
	    nla_get_u16(tb[KHTTPS_POLICY_A_MIN_VERSION]) > nla_get_u16(tb[KHTTPS_POLICY_A_MAX_VERSION])) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_POLICY_A_MAX_VERSION],
				    "khttps: the highest TLS version is below the lowest");
		return -EINVAL;
	}
	if (tb[KHTTPS_POLICY_A_ENGINE] && tb[KHTTPS_POLICY_A_MIN_VERSION] &&
	    nla_get_u8(tb[KHTTPS_POLICY_A_ENGINE]) == KHTTPS_ENGINE_MBEDTLS &&
	    nla_get_u16(tb[KHTTPS_POLICY_A_MIN_VERSION]) == TLS_1_3_VERSION) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_POLICY_A_ENGINE],
				    "khttps: the mbedtls engine speaks TLS 1.2 only, so tls 1.3 cannot be its lowest version");
		return -EINVAL;
	}
	if (tb[KHTTPS_POLICY_A_ALPN] && !khttps_alpn_ok(nla_data(tb[KHTTPS_POLICY_A_ALPN]))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_POLICY_A_ALPN],
				    "khttps: ALPN is protocol names separated by commas");
		return -EINVAL;
	}
	for (i = KHTTPS_POLICY_A_CHAIN; i <= KHTTPS_POLICY_A_CRL; i++) {
		if (i == KHTTPS_POLICY_A_CLIENT_CERT || !tb[i] || *(char *)nla_data(tb[i]) == '/')
			continue;
		NL_SET_ERR_MSG_ATTR(extack, tb[i], "khttps: chain, ca and crl paths must be absolute");
		return -EINVAL;
	}
	if (tb[KHTTPS_POLICY_A_CLIENT_CERT] && nla_get_u8(tb[KHTTPS_POLICY_A_CLIENT_CERT]) &&
	    !tb[KHTTPS_POLICY_A_CA]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_POLICY_A_CLIENT_CERT],
				    "khttps: client certificates need a ca file to verify them");
		return -EINVAL;
	}
	if (tb[KHTTPS_POLICY_A_PROXY] && nla_get_u8(tb[KHTTPS_POLICY_A_PROXY]) != KHTTPS_PROXY_OFF &&
	    nla_get_u8(tb[KHTTPS_POLICY_A_PROXY]) != KHTTPS_PROXY_V2) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KHTTPS_POLICY_A_PROXY],
				    "khttps: the PROXY protocol version is 2 (or none)");
		return -EINVAL;
	}
	return 0;
}

static bool khttps_nl_abs_path(struct genl_info *info, int type)
{
	const char *path = nla_data(info->attrs[type]);

	if (path[0] == '/')
		return true;
	if (type == KHTTPS_A_STORE)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[type],
				    "khttps: the store path must be absolute");
	else
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[type],
				    "khttps: certificate and key paths must be absolute");
	return false;
}

static int khttps_nl_binding_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct khttps_binding_cfg cfg = {};
	struct nlattr **a = info->attrs;
	char host[254];
	int err;

	err = khttps_nl_get_binding_key(info, &cfg, host);
	if (err)
		return err;
	if (cfg.kind == KHTTPS_BIND_CCS) {
		if (a[KHTTPS_A_CERT] || a[KHTTPS_A_KEY]) {
			NL_SET_ERR_MSG(info->extack,
				       "khttps: a ccs binding takes its certificates from its store");
			return -EINVAL;
		}
		if (khttps_nl_require(info, KHTTPS_A_STORE) ||
		    !khttps_nl_abs_path(info, KHTTPS_A_STORE))
			return -EINVAL;
		cfg.store = nla_data(a[KHTTPS_A_STORE]);
	} else {
		if (a[KHTTPS_A_STORE]) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_STORE],
					    "khttps: only a ccs binding has a store");
			return -EINVAL;
		}
		if (khttps_nl_require(info, KHTTPS_A_CERT) ||
		    khttps_nl_require(info, KHTTPS_A_KEY) ||
		    !khttps_nl_abs_path(info, KHTTPS_A_CERT) ||
		    !khttps_nl_abs_path(info, KHTTPS_A_KEY))
			return -EINVAL;
		cfg.cert = nla_data(a[KHTTPS_A_CERT]);
		cfg.key = nla_data(a[KHTTPS_A_KEY]);
	}
	if (!!a[KHTTPS_A_BACKEND] == !!a[KHTTPS_A_QUEUE]) {
		NL_SET_ERR_MSG(info->extack, "khttps: a binding needs either a backend or a queue");
		return -EINVAL;
	}
	if (a[KHTTPS_A_POLICY]) {
		err = khttps_nl_check_policy(a[KHTTPS_A_POLICY], info->extack);
		if (err)
			return err;
		cfg.policy = a[KHTTPS_A_POLICY];
	}
	cfg.queue_uid = INVALID_UID;
	cfg.queue_gid = INVALID_GID;
	if (a[KHTTPS_A_BACKEND]) {
		if (a[KHTTPS_A_QUEUE_UID] || a[KHTTPS_A_QUEUE_GID]) {
			NL_SET_ERR_MSG(info->extack,
				       "khttps: a queue user or group needs a queue binding");
			return -EINVAL;
		}
		err = khttps_nl_get_addr(a[KHTTPS_A_BACKEND], &cfg.backend, info->extack);
		if (err)
			return err;
	} else {
		if (a[KHTTPS_A_QUEUE_UID]) {
			cfg.queue_uid = make_kuid(current_user_ns(),
						  nla_get_u32(a[KHTTPS_A_QUEUE_UID]));
			if (!uid_valid(cfg.queue_uid)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_QUEUE_UID],
						    "khttps: no such user in this user namespace");
				return -EINVAL;
			}
		}
		if (a[KHTTPS_A_QUEUE_GID]) {
			cfg.queue_gid = make_kgid(current_user_ns(),
						  nla_get_u32(a[KHTTPS_A_QUEUE_GID]));
			if (!gid_valid(cfg.queue_gid)) {
				NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_QUEUE_GID],
						    "khttps: no such group in this user namespace");
				return -EINVAL;
			}
		}
		if (khttps_policy_proxy(cfg.policy) != KHTTPS_PROXY_OFF) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_POLICY],
					    "khttps: a PROXY header is for forward mode (a backend)");
			return -EINVAL;
		}
		cfg.queue = nla_data(a[KHTTPS_A_QUEUE]);
		if (!khttps_queue_name_ok(cfg.queue)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_QUEUE],
					    "khttps: a queue name is letters, digits, '.', '_' and '-'");
			return -EINVAL;
		}
	}
	return khttps_binding_add(kn, &cfg, info->extack);
}

static int khttps_nl_binding_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct khttps_binding_cfg key = {};
	char host[254];
	int err;

	err = khttps_nl_get_binding_key(info, &key, host);
	if (err)
		return err;
	err = khttps_binding_del(kn, &key);
	if (err == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "khttps: no binding matches");
	return err;
}

static int khttps_nl_binding_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct khttps_binding_cfg key = {}, chg = {};
	struct nlattr **a = info->attrs;
	char host[254];
	int err;

	err = khttps_nl_get_binding_key(info, &key, host);
	if (err)
		return err;
	if (a[KHTTPS_A_QUEUE] || a[KHTTPS_A_QUEUE_UID] || a[KHTTPS_A_QUEUE_GID]) {
		NL_SET_ERR_MSG(info->extack,
			       "khttps: a binding's queue cannot change: delete and add it");
		return -EINVAL;
	}
	if (!!a[KHTTPS_A_CERT] != !!a[KHTTPS_A_KEY]) {
		NL_SET_ERR_MSG(info->extack, "khttps: a certificate changes with its key");
		return -EINVAL;
	}
	if (!a[KHTTPS_A_CERT] && !a[KHTTPS_A_STORE] && !a[KHTTPS_A_POLICY] && !a[KHTTPS_A_BACKEND]) {
		NL_SET_ERR_MSG(info->extack, "khttps: nothing to set");
		return -EINVAL;
	}
	if (a[KHTTPS_A_CERT]) {
		if (!khttps_nl_abs_path(info, KHTTPS_A_CERT) || !khttps_nl_abs_path(info, KHTTPS_A_KEY))
			return -EINVAL;
		chg.cert = nla_data(a[KHTTPS_A_CERT]);
		chg.key = nla_data(a[KHTTPS_A_KEY]);
	}
	if (a[KHTTPS_A_STORE]) {
		if (!khttps_nl_abs_path(info, KHTTPS_A_STORE))
			return -EINVAL;
		chg.store = nla_data(a[KHTTPS_A_STORE]);
	}
	if (a[KHTTPS_A_POLICY]) {
		err = khttps_nl_check_policy(a[KHTTPS_A_POLICY], info->extack);
		if (err)
			return err;
		chg.policy = a[KHTTPS_A_POLICY];
	}
	if (a[KHTTPS_A_BACKEND]) {
		err = khttps_nl_get_addr(a[KHTTPS_A_BACKEND], &chg.backend, info->extack);
		if (err)
			return err;
	}
	return khttps_binding_set(kn, &key, &chg, info->extack);
}

/* What names @kb, as khttps_nl_get_binding_key() reads it. */
static int khttps_nl_put_binding_key(struct sk_buff *msg, const struct khttps_binding *kb)
{
	if (nla_put_u64_64bit(msg, KHTTPS_A_BINDING_ID, kb->kb_id, KHTTPS_A_PAD) ||
	    nla_put_u8(msg, KHTTPS_A_KIND, kb->kb_kind))
		return -EMSGSIZE;
	if (kb->kb_kind == KHTTPS_BIND_ADDR)
		return khttps_nl_put_addr(msg, KHTTPS_A_BIND, &kb->kb_addr);
	if (nla_put_u16(msg, KHTTPS_A_PORT, kb->kb_port))
		return -EMSGSIZE;
	if (kb->kb_kind == KHTTPS_BIND_HOST)
		return nla_put_string(msg, KHTTPS_A_HOST, kb->kb_host);
	return 0;
}

/*
 * What the daemon needs: the certificate (cert and key, or a store), the
 * policy, and the close_notify policy in effect (the module's default may
 * decide it).
 */
static int khttps_nl_put_binding_certs(struct sk_buff *msg, const struct khttps_binding *kb)
{
	if ((kb->kb_policy &&
	     nla_put(msg, KHTTPS_A_POLICY | NLA_F_NESTED, nla_len(kb->kb_policy),
		     nla_data(kb->kb_policy))) ||
	    nla_put_u8(msg, KHTTPS_A_CLOSE_NOTIFY, khttps_binding_close_notify(kb)))
		return -EMSGSIZE;
	if (kb->kb_store)
		return nla_put_string(msg, KHTTPS_A_STORE, kb->kb_store);
	if (nla_put_string(msg, KHTTPS_A_CERT, kb->kb_cert) ||
	    nla_put_string(msg, KHTTPS_A_KEY, kb->kb_key))
		return -EMSGSIZE;
	return 0;
}

static int khttps_nl_fill_binding(struct sk_buff *msg, struct khttps_binding *kb,
				  u32 portid, u32 seq, int flags)
{
	void *hdr = genlmsg_put(msg, portid, seq, &khttps_genl_family, flags,
				KHTTPS_CMD_BINDING_GET);

	if (!hdr)
		return -EMSGSIZE;
	if (khttps_nl_put_binding_key(msg, kb) || khttps_nl_put_binding_certs(msg, kb) ||
	    (kb->kb_backend.ss_family ?
	     khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &kb->kb_backend) :
	     nla_put_string(msg, KHTTPS_A_QUEUE, kb->kb_queue->q_name)) ||
	    (kb->kb_queue && uid_valid(kb->kb_queue->q_uid) &&
	     nla_put_u32(msg, KHTTPS_A_QUEUE_UID,
			 from_kuid_munged(current_user_ns(), kb->kb_queue->q_uid))) ||
	    (kb->kb_queue && gid_valid(kb->kb_queue->q_gid) &&
	     nla_put_u32(msg, KHTTPS_A_QUEUE_GID,
			 from_kgid_munged(current_user_ns(), kb->kb_queue->q_gid))) ||
	    khttps_nl_put_stats(msg, &kb->kb_stats)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int khttps_nl_binding_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct khttps_net *kn = khttps_net(sock_net(skb->sk));
	struct khttps_binding *kb;
	long idx = 0, start = cb->args[0];

	mutex_lock(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		if (idx >= start &&
		    khttps_nl_fill_binding(skb, kb, NETLINK_CB(cb->skb).portid,
					   cb->nlh->nlmsg_seq, NLM_F_MULTI))
			break;
		idx++;
	}
	mutex_unlock(&kn->kn_lock);
	cb->args[0] = idx;
	return skb->len;
}

static u8 khttps_nl_conn_phase(const struct khttps_conn *kc)
{
	switch (kc->kc_state) {
	case KHTTPS_CONN_HELLO:
		return KHTTPS_PHASE_HELLO;
	case KHTTPS_CONN_WAITING:
		return KHTTPS_PHASE_WAITING;
	case KHTTPS_CONN_HANDSHAKE:
		return KHTTPS_PHASE_HANDSHAKE;
	case KHTTPS_CONN_ESTABLISHED:
		if (!kc->kc_binding || !kc->kc_binding->kb_queue)
			return KHTTPS_PHASE_RELAY;
		return test_bit(KHTTPS_CF_APP, &kc->kc_flags) ? KHTTPS_PHASE_APP :
								 KHTTPS_PHASE_QUEUED;
	default:
		return KHTTPS_PHASE_CLOSING;
	}
}

/* One connection of the dump.  Context: kn_lock held. */
static int khttps_nl_fill_conn(struct sk_buff *msg, struct khttps_conn *kc, u32 portid, u32 seq)
{
	void *hdr = genlmsg_put(msg, portid, seq, &khttps_genl_family, NLM_F_MULTI,
				KHTTPS_CMD_CONN_GET);
	u64 age = div_u64(ktime_get_boottime_ns() - kc->kc_start, NSEC_PER_MSEC);
	struct nlattr *st;

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(msg, KHTTPS_A_CONN_ID, kc->kc_id, KHTTPS_A_PAD) ||
	    nla_put_u8(msg, KHTTPS_A_PHASE, khttps_nl_conn_phase(kc)) ||
	    nla_put_u64_64bit(msg, KHTTPS_A_AGE_MS, age, KHTTPS_A_PAD) ||
	    (kc->kc_peer.ss_family && khttps_nl_put_addr(msg, KHTTPS_A_PEER, &kc->kc_peer)) ||
	    khttps_nl_put_addr(msg, KHTTPS_A_LOCAL, &kc->kc_listen) ||
	    (kc->kc_binding && khttps_nl_put_binding_key(msg, kc->kc_binding)) ||
	    (kc->kc_version && (nla_put_u16(msg, KHTTPS_A_TLS_VERSION, kc->kc_version) ||
				nla_put_u16(msg, KHTTPS_A_CIPHER, kc->kc_cipher))) ||
	    (kc->kc_sni && nla_put_string(msg, KHTTPS_A_SNI, kc->kc_sni)) ||
	    (kc->kc_alpn && nla_put_string(msg, KHTTPS_A_ALPN, kc->kc_alpn)))
		goto err;
	st = nla_nest_start(msg, KHTTPS_A_STATS);
	if (!st ||
	    nla_put_u64_64bit(msg, KHTTPS_STAT_BYTES_IN, atomic64_read(&kc->kc_bytes_in),
			      KHTTPS_STAT_PAD) ||
	    nla_put_u64_64bit(msg, KHTTPS_STAT_BYTES_OUT, atomic64_read(&kc->kc_bytes_out),
			      KHTTPS_STAT_PAD))
		goto err;
	nla_nest_end(msg, st);
	genlmsg_end(msg, hdr);
	return 0;
err:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/* The connections, in id order; cb->args[0] is the next id to send. */
static int khttps_nl_conn_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct khttps_net *kn = khttps_net(sock_net(skb->sk));
	unsigned long id = cb->args[0];
	struct khttps_conn *kc;

	mutex_lock(&kn->kn_lock);
	xa_for_each_start(&kn->kn_conns, id, kc, cb->args[0]) {
		if (khttps_nl_fill_conn(skb, kc, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq))
			break;
	}
	mutex_unlock(&kn->kn_lock);
	/* Stopped at a full message: that one again next time; else the end. */
	cb->args[0] = kc ? id : ULONG_MAX;
	return skb->len;
}

static int khttps_nl_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr || khttps_nl_put_stats(msg, &kn->kn_stats) ||
	    nla_put_u8(msg, KHTTPS_A_DAEMON,
		       !xa_empty(&kn->kn_workers))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * A worker as the kernel knows it: the port it asks from, kept in
 * kn_workers under that port id, and where its READYs go.
 */
struct khttps_worker {
	u32 kw_notify;		/* its handshake-group socket, or 0: not named */
	bool kw_poked;		/* told and not yet emptied the queue */
};

static struct sk_buff *khttps_nl_ready_msg(struct khttps_net *kn)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	hdr = genlmsg_put(msg, 0, 0, &khttps_genl_family, 0, KHTTPS_CMD_HS_READY);
	if (!hdr || nla_put_u32(msg, KHTTPS_A_PENDING, kn->kn_npending)) {
		nlmsg_free(msg);
		return NULL;
	}
	genlmsg_end(msg, hdr);
	return msg;
}

/* Send a READY to the whole handshake group. */
static void khttps_nl_tell_all(struct khttps_net *kn)
{
	struct sk_buff *msg = khttps_nl_ready_msg(kn);

	/* No worker listening (-ESRCH) is fine: the timeout will count it. */
	if (msg)
		genlmsg_multicast_netns(&khttps_genl_family, kn->kn_net, msg, 0,
					KHTTPS_MCGRP_IDX_HANDSHAKE, GFP_KERNEL);
}

/* Send a READY to @kw.  Return: it reached the socket (or the socket has READYs unread). */
static bool khttps_nl_poke(struct khttps_net *kn, struct khttps_worker *kw)
{
	struct sk_buff *msg = khttps_nl_ready_msg(kn);
	int err;

	if (!msg)
		return false;
	err = genlmsg_unicast(kn->kn_net, msg, kw->kw_notify);
	/* A full socket has READYs it has not read: it will come and ask. */
	return !err || err == -EAGAIN || err == -ENOBUFS;
}

/*
 * Wake one idle worker, starting after the last one woken, other than
 * @except.  Return: false when some worker named no port (an older
 * khttpsd), or none of the idle ones could be reached: then only the
 * multicast reaches them all.
 *
 * Context: kn_lock held.
 */
static bool khttps_nl_poke_one(struct khttps_net *kn, u32 except)
{
	struct khttps_worker *kw;
	unsigned long id, start = kn->kn_poke_next;
	bool tried = false;
	int pass;

	xa_for_each(&kn->kn_workers, id, kw)
		if (!kw->kw_notify)
			return false;
	for (pass = 0; pass < 2; pass++) {
		xa_for_each_range(&kn->kn_workers, id, kw, pass ? 0 : start,
				  pass ? start - 1 : ULONG_MAX) {
			if (kw->kw_poked || id == except)
				continue;
			tried = true;
			if (!khttps_nl_poke(kn, kw))
				continue;
			kw->kw_poked = true;
			kn->kn_poke_next = id + 1;
			kn->kn_taken_at_poke = kn->kn_taken;
			mod_delayed_work(khttps_wq, &kn->kn_poke_check,
					 msecs_to_jiffies(khttps_param(ready_retry_ms)));
			return true;
		}
		if (!start)
			break;
	}
	/* Every worker is told already (they will ask), or none could be. */
	return !tried;
}

/**
 * khttps_netlink_notify_ready() - tell the workers that handshakes wait
 * @kn: the namespace
 *
 * One idle worker hears it when every worker named its port in
 * HS_ACCEPT; the whole handshake group otherwise.  Waking them all for one
 * connection costs every other worker a wake-up and an ACCEPT that finds
 * nothing.
 *
 * Context: process; kn_lock held.
 */
void khttps_netlink_notify_ready(struct khttps_net *kn)
{
	lockdep_assert_held(&kn->kn_lock);
	if (xa_empty(&kn->kn_workers) || !khttps_nl_poke_one(kn, 0))
		khttps_nl_tell_all(kn);
}

/**
 * khttps_netlink_poke_check() - hand what waits to every worker if the one told is stuck
 * @work: &khttps_net.kn_poke_check
 *
 * A worker told by unicast may be stopped, swapped out or slow in a key
 * load; no other hears of the connection, and those that arrive after it
 * send no READY of their own (the queue is not empty).  Unless some
 * ACCEPT took a connection since the last such READY, the whole handshake
 * group hears (after ready_retry_ms: a few ACCEPT round trips under load,
 * short against the handshake timeout).  The stuck worker stays marked as
 * told: later READYs go to the others until it asks again.
 *
 * Context: process (khttps_wq); takes kn_lock.
 */
void khttps_netlink_poke_check(struct work_struct *work)
{
	struct khttps_net *kn = container_of(to_delayed_work(work), struct khttps_net,
					     kn_poke_check);

	mutex_lock(&kn->kn_lock);
	if (!list_empty(&kn->kn_pending) && kn->kn_taken == kn->kn_taken_at_poke)
		khttps_nl_tell_all(kn);
	mutex_unlock(&kn->kn_lock);
}

/**
 * khttps_netlink_forget_workers() - free what the namespace knew of its workers
 * @kn: the namespace, going away
 */
void khttps_netlink_forget_workers(struct khttps_net *kn)
{
	struct khttps_worker *kw;
	unsigned long id;

	xa_for_each(&kn->kn_workers, id, kw)
		kfree(kw);
	xa_destroy(&kn->kn_workers);
}

/**
 * khttps_netlink_event() - put a refused or failed connection in the error log
 * @kc: the connection
 * @reason: the counter it was counted under (&enum khttps_stat)
 *
 * A %KHTTPS_CMD_EVENT on %KHTTPS_MCGRP_EVENTS, when someone listens.  An
 * event that cannot be sent (no memory, a full listener) is lost; the
 * counter still has it.
 *
 * Context: any; does not sleep.
 */
void khttps_netlink_event(struct khttps_conn *kc, int reason)
{
	struct khttps_net *kn = kc->kc_kn;
	struct khttps_binding *kb = kc->kc_binding;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&khttps_genl_family, kn->kn_net, KHTTPS_MCGRP_IDX_EVENTS))
		return;
	/* Two addresses twice (peer, local, binding), a host name, a few numbers. */
	msg = genlmsg_new(1024, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &khttps_genl_family, 0, KHTTPS_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, KHTTPS_A_REASON, reason) ||
	    nla_put_u64_64bit(msg, KHTTPS_A_TIME, ktime_get_real_ns(), KHTTPS_A_PAD) ||
	    (kc->kc_id && nla_put_u64_64bit(msg, KHTTPS_A_CONN_ID, kc->kc_id, KHTTPS_A_PAD)) ||
	    (kc->kc_peer.ss_family && khttps_nl_put_addr(msg, KHTTPS_A_PEER, &kc->kc_peer)) ||
	    khttps_nl_put_addr(msg, KHTTPS_A_LOCAL, &kc->kc_listen) ||
	    (kb && khttps_nl_put_binding_key(msg, kb)) ||
	    (kc->kc_sni && nla_put_string(msg, KHTTPS_A_SNI, kc->kc_sni))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&khttps_genl_family, kn->kn_net, msg, 0,
				KHTTPS_MCGRP_IDX_EVENTS, GFP_ATOMIC);
}

/*
 * Which namespace has a khttpsd: its workers' request sockets, each known
 * from its first HS_ACCEPT (a worker asks at start and after every READY)
 * until it closes, each with a &struct khttps_worker.
 * genl_has_listeners() cannot say: the kernel keeps one listener bitmap
 * per netlink protocol, not per namespace, so a daemon anywhere would
 * count everywhere.  The set also says whose release must fail
 * handshakes.  Netlink frees a port id before it tells us the socket
 * closed, so a new socket may take the id in between: recording it and
 * giving it a connection under kn_lock, as the release notifier forgets it
 * under kn_lock, makes that notifier fail the new socket's handshake too
 * (as it did before this set existed) rather than leave it to time out.
 *
 * Context: process; kn_lock held.
 */
static struct khttps_worker *khttps_nl_worker_seen(struct khttps_net *kn, u32 portid)
{
	struct khttps_worker *kw;
	int err;

	lockdep_assert_held(&kn->kn_lock);
	kw = xa_load(&kn->kn_workers, portid);
	if (kw)
		return kw;
	kw = kzalloc(sizeof(*kw), GFP_KERNEL);
	if (!kw)
		return ERR_PTR(-ENOMEM);
	err = xa_err(xa_store(&kn->kn_workers, portid, kw, GFP_KERNEL));
	if (err) {
		kfree(kw);
		return ERR_PTR(err);
	}
	return kw;
}

static int khttps_nl_hs_accept_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct khttps_worker *kw;
	struct khttps_conn *kc;
	struct sk_buff *msg;
	struct file *file;
	void *hdr;
	int fd, err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&kn->kn_lock);
	kw = khttps_nl_worker_seen(kn, info->snd_portid);
	if (IS_ERR(kw)) {
		err = PTR_ERR(kw);
		goto err_unlock;
	}
	if (info->attrs[KHTTPS_A_NOTIFY_PORT])
		kw->kw_notify = nla_get_u32(info->attrs[KHTTPS_A_NOTIFY_PORT]);
	kc = khttps_conn_take_pending(kn);
	if (!kc) {
		kw->kw_poked = false;
		NL_SET_ERR_MSG(info->extack, "khttps: no handshake is waiting");
		err = -EAGAIN;
		goto err_unlock;
	}
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_requeue;
	}
	if (!kc->kc_file) {
		/* The worker will hold it: the socket must hold its netns. */
		khttps_conn_sock_user(kc);
		file = sock_alloc_file(kc->kc_sock, 0, NULL);
		if (IS_ERR(file)) {
			/* sock_alloc_file() released the socket. */
			kc->kc_sock = NULL;
			put_unused_fd(fd);
			khttps_conn_close(kc, 0);
			err = PTR_ERR(file);
			goto err_unlock;
		}
		kc->kc_file = file;
	}
	hdr = genlmsg_iput(msg, info);
	if (!hdr ||
	    nla_put_u64_64bit(msg, KHTTPS_A_CONN_ID, kc->kc_id, KHTTPS_A_PAD) ||
	    nla_put_s32(msg, KHTTPS_A_FD, fd) ||
	    khttps_nl_put_addr(msg, KHTTPS_A_BIND, &kc->kc_listen) ||
	    (kc->kc_binding ?
	     nla_put_u64_64bit(msg, KHTTPS_A_BINDING_ID, kc->kc_binding->kb_id, KHTTPS_A_PAD) ||
	     khttps_nl_put_binding_certs(msg, kc->kc_binding) :
	     nla_put_flag(msg, KHTTPS_A_SELECT)) ||
	    (kc->kc_peer.ss_family && khttps_nl_put_addr(msg, KHTTPS_A_PEER, &kc->kc_peer)) ||
	    /* Spares the worker an ACCEPT that would find nothing. */
	    (list_empty(&kn->kn_pending) && nla_put_flag(msg, KHTTPS_A_LAST))) {
		put_unused_fd(fd);
		err = -EMSGSIZE;
		goto err_requeue;
	}
	genlmsg_end(msg, hdr);
	kc->kc_portid = info->snd_portid;
	fd_install(fd, get_file(kc->kc_file));
	kn->kn_taken++;
	/* More wait: another idle worker shares them; this one asks on. */
	if (list_empty(&kn->kn_pending))
		kw->kw_poked = false;
	else if (kw->kw_notify)
		khttps_nl_poke_one(kn, info->snd_portid);
	mutex_unlock(&kn->kn_lock);
	return genlmsg_reply(msg, info);

err_requeue:
	khttps_conn_requeue(kc);
err_unlock:
	mutex_unlock(&kn->kn_lock);
	nlmsg_free(msg);
	return err;
}

static int khttps_nl_get_keys(struct nlattr *attr, struct khttps_keys *k,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KHTTPS_CRYPTO_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KHTTPS_CRYPTO_A_MAX, attr, khttps_crypto_policy, extack);
	if (err)
		return err;
	if (!tb[KHTTPS_CRYPTO_A_KEY] || !tb[KHTTPS_CRYPTO_A_IV] || !tb[KHTTPS_CRYPTO_A_REC_SEQ]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "khttps: keys need a key, an iv and a record sequence");
		return -EINVAL;
	}
#define KHTTPS_KEY_FIELD(f, a)							\
	do {									\
		k->f = tb[a] ? nla_data(tb[a]) : NULL;				\
		k->f##_len = tb[a] ? nla_len(tb[a]) : 0;			\
	} while (0)
	KHTTPS_KEY_FIELD(key, KHTTPS_CRYPTO_A_KEY);
	KHTTPS_KEY_FIELD(iv, KHTTPS_CRYPTO_A_IV);
	KHTTPS_KEY_FIELD(salt, KHTTPS_CRYPTO_A_SALT);
	KHTTPS_KEY_FIELD(rec_seq, KHTTPS_CRYPTO_A_REC_SEQ);
#undef KHTTPS_KEY_FIELD
	return 0;
}

/* Key bytes must not linger in the request skb after DONE. */
static void khttps_nl_wipe_keys(struct genl_info *info)
{
	static const int dirs[] = { KHTTPS_A_TX, KHTTPS_A_RX };
	struct nlattr *a;
	int i, rem;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (!info->attrs[dirs[i]])
			continue;
		nla_for_each_nested(a, info->attrs[dirs[i]], rem)
			memzero_explicit(nla_data(a), nla_len(a));
	}
}

/* Keep the client certificate a DONE named (checked by the policy). */
static void khttps_nl_conn_client(struct khttps_conn *kc, const struct nlattr *attr)
{
	struct nlattr *tb[KHTTPS_CLIENT_CERT_A_MAX + 1];
	struct khttps_client_id *id;

	if (!attr || nla_parse_nested(tb, KHTTPS_CLIENT_CERT_A_MAX, attr,
				      khttps_client_cert_policy, NULL) ||
	    !tb[KHTTPS_CLIENT_CERT_A_SUBJECT] || !tb[KHTTPS_CLIENT_CERT_A_SHA256])
		return;
	id = kzalloc(sizeof(*id), GFP_KERNEL);
	if (!id)
		return;
	nla_strscpy(id->subject, tb[KHTTPS_CLIENT_CERT_A_SUBJECT], sizeof(id->subject));
	if (tb[KHTTPS_CLIENT_CERT_A_ISSUER])
		nla_strscpy(id->issuer, tb[KHTTPS_CLIENT_CERT_A_ISSUER], sizeof(id->issuer));
	if (tb[KHTTPS_CLIENT_CERT_A_SERIAL])
		nla_strscpy(id->serial, tb[KHTTPS_CLIENT_CERT_A_SERIAL], sizeof(id->serial));
	nla_memcpy(id->sha256, tb[KHTTPS_CLIENT_CERT_A_SHA256], sizeof(id->sha256));
	if (tb[KHTTPS_CLIENT_CERT_A_CN])
		nla_strscpy(id->cn, tb[KHTTPS_CLIENT_CERT_A_CN], sizeof(id->cn));
	kc->kc_client = id;
}

/* Keep the SNI, ALPN and client certificate a DONE carried, for applications. */
static void khttps_nl_conn_names(struct khttps_conn *kc, struct genl_info *info)
{
	struct nlattr *sni = info->attrs[KHTTPS_A_SNI], *alpn = info->attrs[KHTTPS_A_ALPN];

	if (sni && nla_len(sni) > 1) {
		/* As the client wrote it; HS_SELECT may have kept it already. */
		kfree(kc->kc_sni);
		kc->kc_sni = kstrdup(nla_data(sni), GFP_KERNEL);
	}
	if (alpn && nla_len(alpn) > 1)
		kc->kc_alpn = kstrdup(nla_data(alpn), GFP_KERNEL);
	if (info->attrs[KHTTPS_A_SUITE])
		kc->kc_suite = nla_get_u16(info->attrs[KHTTPS_A_SUITE]);
	if (nla_get_flag(info->attrs[KHTTPS_A_RESUMED]))
		set_bit(KHTTPS_CF_RESUMED, &kc->kc_flags);
	khttps_nl_conn_client(kc, info->attrs[KHTTPS_A_CLIENT_CERT]);
	/* The close_notify policy holds for the connection's life as it is now. */
	if (khttps_binding_close_notify(kc->kc_binding))
		set_bit(KHTTPS_CF_CLOSE_NOTIFY, &kc->kc_flags);
	if (info->attrs[KHTTPS_A_SESSION_TOKEN]) {
		nla_memcpy(kc->kc_token, info->attrs[KHTTPS_A_SESSION_TOKEN], sizeof(kc->kc_token));
		/* RFC 8446 4.6.1: a session lives at most seven days. */
		kc->kc_session_life = info->attrs[KHTTPS_A_SESSION_LIFE] ?
				      clamp(nla_get_u32(info->attrs[KHTTPS_A_SESSION_LIFE]), 1U, 604800U) :
				      7200;
		set_bit(KHTTPS_CF_TOKEN, &kc->kc_flags);
	}
}

/*
 * A failed handshake's alert must reach the client.  A TLS 1.3 client sends
 * its request as soon as its side of the handshake is done; closing with
 * that unread makes TCP send a reset, which can overtake the alert.  Drop
 * what waits (MSG_TRUNC discards without copying), so close sends a FIN.
 */
static void khttps_nl_discard_input(struct socket *sock)
{
	struct msghdr msg = {};
	int n, rounds = 16;

	if (!sock)
		return;
	do {
		n = kernel_recvmsg(sock, &msg, NULL, 0, INT_MAX, MSG_DONTWAIT | MSG_TRUNC);
	} while (n > 0 && --rounds);
}

/* The connection a worker's request names: in a handshake of that worker. */
static struct khttps_conn *khttps_nl_worker_conn(struct khttps_net *kn, struct genl_info *info)
{
	struct nlattr *id = info->attrs[KHTTPS_A_CONN_ID];
	struct khttps_conn *kc;

	lockdep_assert_held(&kn->kn_lock);
	kc = khttps_conn_find(kn, nla_get_u64(id));
	if (!kc) {
		NL_SET_ERR_MSG_ATTR(info->extack, id, "khttps: no such connection");
		return ERR_PTR(-ENOENT);
	}
	if (kc->kc_state != KHTTPS_CONN_HANDSHAKE || kc->kc_portid != info->snd_portid) {
		/* Only the worker that accepted it may act on it. */
		NL_SET_ERR_MSG_ATTR(info->extack, id,
				    "khttps: this connection is not in a handshake of this worker");
		return ERR_PTR(-EPERM);
	}
	return kc;
}

static struct khttps_binding *khttps_nl_find_binding(struct khttps_net *kn, u64 id)
{
	struct khttps_binding *kb;

	lockdep_assert_held(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list)
		if (kb->kb_id == id)
			return kb;
	return NULL;
}

static int khttps_nl_hs_select_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct khttps_binding *kb;
	struct khttps_conn *kc;
	struct sk_buff *msg;
	char sni[254];
	void *hdr;
	int err;

	if (khttps_nl_require(info, KHTTPS_A_CONN_ID))
		return -EINVAL;
	if (a[KHTTPS_A_HOST]) {
		err = khttps_nl_get_host(a[KHTTPS_A_HOST], false, sni, info->extack);
		if (err)
			return err;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&kn->kn_lock);
	kc = khttps_nl_worker_conn(kn, info);
	if (IS_ERR(kc)) {
		err = PTR_ERR(kc);
		goto err_unlock;
	}
	/* For the error log, should this handshake fail. */
	if (a[KHTTPS_A_HOST] && !kc->kc_sni)
		kc->kc_sni = kstrdup(sni, GFP_KERNEL);
	kb = kc->kc_binding ?: khttps_binding_select(kn, &kc->kc_listen,
						     a[KHTTPS_A_HOST] ? sni : NULL,
						     nla_get_flag(a[KHTTPS_A_SKIP_CCS]));
	if (!kb) {
		if (a[KHTTPS_A_HOST])
			NL_SET_ERR_MSG(info->extack, "khttps: no binding for this name on this port");
		else
			NL_SET_ERR_MSG(info->extack,
				       "khttps: no binding for clients without SNI on this address");
		err = -ENOENT;
		goto err_unlock;
	}
	if (!kc->kc_binding && khttps_binding_full(kb)) {
		/* Counted as the binding's, as a refusal at accept would be. */
		khttps_conn_set_binding(kc, kb);
		khttps_conn_close(kc, KHTTPS_STAT_REFUSED_CONNS);
		NL_SET_ERR_MSG(info->extack, "khttps: the binding has its most connections open");
		err = -ENOSPC;
		goto err_unlock;
	}
	err = -EMSGSIZE;
	hdr = genlmsg_iput(msg, info);
	if (!hdr || khttps_nl_put_binding_key(msg, kb) || khttps_nl_put_binding_certs(msg, kb))
		goto err_unlock;
	mutex_unlock(&kn->kn_lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&kn->kn_lock);
	nlmsg_free(msg);
	return err;
}

/*
 * Whether a session may be resumed under the close_notify policy; asked by
 * the worker that holds the connection, while it reads the ClientHello.
 */
static int khttps_nl_hs_session_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct khttps_conn *kc;
	int err = 0;

	if (khttps_nl_require(info, KHTTPS_A_CONN_ID) ||
	    khttps_nl_require(info, KHTTPS_A_SESSION_TOKEN))
		return -EINVAL;
	mutex_lock(&kn->kn_lock);
	kc = khttps_nl_worker_conn(kn, info);
	if (IS_ERR(kc)) {
		err = PTR_ERR(kc);
	} else if (!khttps_session_resumable(kn, nla_data(info->attrs[KHTTPS_A_SESSION_TOKEN]))) {
		khttps_stat_inc(kn, kc->kc_binding, KHTTPS_STAT_SESSIONS_REFUSED);
		NL_SET_ERR_MSG(info->extack,
			       "khttps: no clean end of this session is known: a full handshake");
		err = -ENOENT;
	}
	mutex_unlock(&kn->kn_lock);
	return err;
}

static int khttps_nl_hs_done_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct khttps_net *kn = khttps_net(genl_info_net(info));
	struct nlattr **a = info->attrs;
	struct khttps_binding *kb;
	struct khttps_keys tx, rx;
	struct khttps_conn *kc;
	int err, stat;
	u32 status;

	if (khttps_nl_require(info, KHTTPS_A_CONN_ID) ||
	    khttps_nl_require(info, KHTTPS_A_STATUS)) {
		err = -EINVAL;
		goto out;
	}
	status = nla_get_u32(a[KHTTPS_A_STATUS]);
	mutex_lock(&kn->kn_lock);
	kc = khttps_nl_worker_conn(kn, info);
	if (IS_ERR(kc)) {
		err = PTR_ERR(kc);
		goto out_unlock;
	}
	if (a[KHTTPS_A_BINDING_ID]) {
		kb = khttps_nl_find_binding(kn, nla_get_u64(a[KHTTPS_A_BINDING_ID]));
		if (!kb || !khttps_binding_serves(kb, &kc->kc_listen) ||
		    (kc->kc_binding && kc->kc_binding != kb)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[KHTTPS_A_BINDING_ID],
					    "khttps: no such binding for this connection");
			err = -EINVAL;
			goto out_fail;
		}
		if (!kc->kc_binding)
			khttps_conn_set_binding(kc, kb);
	}
	if (status != KHTTPS_HS_OK) {
		static const int reason[__KHTTPS_HS_MAX] = {
			[KHTTPS_HS_TLS_ERROR]		= KHTTPS_STAT_HS_FAILED_TLS,
			[KHTTPS_HS_CERT_ERROR]		= KHTTPS_STAT_HS_FAILED_CERT,
			[KHTTPS_HS_INTERNAL]		= KHTTPS_STAT_HS_FAILED_INTERNAL,
			[KHTTPS_HS_CLIENT_CLOSED]	= KHTTPS_STAT_HS_FAILED_CLOSED,
			[KHTTPS_HS_NO_BINDING]		= KHTTPS_STAT_UNRECOGNIZED_NAME,
			[KHTTPS_HS_CLIENT_CERT]		= KHTTPS_STAT_HS_FAILED_CLIENT_CERT,
		};

		/* The policy bounds status. */
		khttps_stat_inc(kn, kc->kc_binding, reason[status]);
		khttps_netlink_event(kc, reason[status]);
		khttps_nl_discard_input(kc->kc_sock);
		khttps_conn_close(kc, KHTTPS_STAT_HS_FAILED);
		err = 0;
		goto out_unlock;
	}
	err = -EINVAL;
	if (!kc->kc_binding) {
		NL_SET_ERR_MSG(info->extack,
			       "khttps: this connection needs a binding: HS_SELECT one, name it in DONE");
		goto out_fail;
	}
	if (khttps_nl_require(info, KHTTPS_A_TLS_VERSION) ||
	    khttps_nl_require(info, KHTTPS_A_CIPHER) ||
	    khttps_nl_require(info, KHTTPS_A_TX) || khttps_nl_require(info, KHTTPS_A_RX))
		goto out_fail;
	err = khttps_nl_get_keys(a[KHTTPS_A_TX], &tx, info->extack);
	if (!err)
		err = khttps_nl_get_keys(a[KHTTPS_A_RX], &rx, info->extack);
	if (!err)
		err = khttps_ktls_install(kc, nla_get_u16(a[KHTTPS_A_TLS_VERSION]),
					  nla_get_u16(a[KHTTPS_A_CIPHER]), &tx, &rx,
					  info->extack);
	if (!err) {
		khttps_nl_conn_names(kc, info);
		khttps_conn_established(kc);
		if (kc->kc_binding->kb_queue) {
			if (khttps_queue_ready(kc))
				khttps_conn_close(kc, KHTTPS_STAT_QUEUE_FULL);
		} else if (khttps_relay_start(kc)) {
			khttps_conn_close(kc, KHTTPS_STAT_BACKEND_ERRORS);
		} else {
			khttps_conn_idle_arm(kn);
		}
		goto out_unlock;
	}
out_fail:
	/* Fail closed: a DONE that does not install keys ends the connection. */
	stat = err == -ENOTCONN ? KHTTPS_STAT_CLIENT_GONE : KHTTPS_STAT_INSTALL_FAILED;
	khttps_conn_close(kc, stat);
out_unlock:
	mutex_unlock(&kn->kn_lock);
out:
	khttps_nl_wipe_keys(info);
	return err;
}

static const struct genl_ops khttps_genl_ops[] = {
	{
		.cmd	= KHTTPS_CMD_VERSION_GET,
		.doit	= khttps_nl_version_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_BINDING_ADD,
		.doit	= khttps_nl_binding_add_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_BINDING_DEL,
		.doit	= khttps_nl_binding_del_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_BINDING_GET,
		.start	= khttps_nl_dump_start,
		.dumpit	= khttps_nl_binding_dumpit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_STATS_GET,
		.doit	= khttps_nl_stats_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_HS_ACCEPT,
		.doit	= khttps_nl_hs_accept_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_HS_DONE,
		.doit	= khttps_nl_hs_done_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_BINDING_SET,
		.doit	= khttps_nl_binding_set_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_HS_SELECT,
		.doit	= khttps_nl_hs_select_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_HS_SESSION,
		.doit	= khttps_nl_hs_session_doit,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= KHTTPS_CMD_CONN_GET,
		.start	= khttps_nl_dump_start,
		.dumpit	= khttps_nl_conn_dumpit,
		.flags	= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group khttps_genl_mcgrps[] = {
	[KHTTPS_MCGRP_IDX_HANDSHAKE] = {
		.name = KHTTPS_MCGRP_HANDSHAKE, .flags = GENL_MCAST_CAP_NET_ADMIN },
	[KHTTPS_MCGRP_IDX_EVENTS] = {
		.name = KHTTPS_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family khttps_genl_family __ro_after_init = {
	.name		= KHTTPS_GENL_NAME,
	.version	= KHTTPS_API_VERSION,
	.maxattr	= KHTTPS_A_MAX,
	.policy		= khttps_policy,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.pre_doit	= khttps_nl_pre_doit,
	.ops		= khttps_genl_ops,
	.n_ops		= ARRAY_SIZE(khttps_genl_ops),
	.resv_start_op	= KHTTPS_CMD_MAX + 1,
	.mcgrps		= khttps_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(khttps_genl_mcgrps),
};

/* A worker's netlink socket closed: forget it, fail the handshakes it held. */
static int khttps_nl_release(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct khttps_net *kn;
	void *gone;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !n->portid)
		return NOTIFY_DONE;
	kn = khttps_net(n->net);
	/* Absent now: not ours, and a socket that takes the id next is not going. */
	if (!xa_load(&kn->kn_workers, n->portid))
		return NOTIFY_DONE;
	mutex_lock(&kn->kn_lock);
	gone = xa_erase(&kn->kn_workers, n->portid);
	/* It may have been the one told of what still waits. */
	if (gone && !list_empty(&kn->kn_pending))
		khttps_netlink_notify_ready(kn);
	mutex_unlock(&kn->kn_lock);
	kfree(gone);
	if (gone)
		khttps_conn_worker_gone(kn, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block khttps_nl_notifier = {
	.notifier_call = khttps_nl_release,
};

/**
 * khttps_netlink_init() - register the khttps generic-netlink family
 *
 * Context: module init, after the pernet state exists.
 * Return: 0 or a negative errno.
 */
int __init khttps_netlink_init(void)
{
	int err;

	err = genl_register_family(&khttps_genl_family);
	if (err)
		return err;
	err = netlink_register_notifier(&khttps_nl_notifier);
	if (err)
		genl_unregister_family(&khttps_genl_family);
	return err;
}

/**
 * khttps_netlink_exit() - unregister the family and the release notifier
 *
 * Context: module exit; no request is in flight once this returns.
 */
void khttps_netlink_exit(void)
{
	netlink_unregister_notifier(&khttps_nl_notifier);
	genl_unregister_family(&khttps_genl_family);
}

/* Lets a genl lookup of "khttps" autoload the module. */
MODULE_ALIAS_GENL_FAMILY(KHTTPS_GENL_NAME);
