// SPDX-License-Identifier: GPL-2.0
/*
 * libnl-genl plumbing shared by khttpsd and khttpsctl.
 *
 * libnl 3.7 does not surface netlink extended acks, so the socket asks for
 * them itself (NETLINK_EXT_ACK, with NETLINK_CAP_ACK so the error does not
 * echo the request) and the error callback reads NLMSGERR_ATTR_MSG.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct request_state {
	uint32_t seq;		/* our request's; multicasts on the same socket differ */
	khttps_nl_parse_fn parse;
	void *arg;
	struct khttps_nl *nl;
	int err;		/* negative errno, or 0 */
	bool done;
};

/*
 * Replaces libnl's sequence check, which fails the whole receive on a
 * multicast notification (sequence 0) that arrives between a request and its
 * answer: skip whatever is not the answer to our request.
 */
static int on_seq_check(struct nl_msg *msg, void *arg)
{
	struct request_state *st = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == st->seq ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request_state *st = arg;
	struct nlattr *tb[KHTTPS_A_MAX + 1];
	int err;

	if (nlmsg_hdr(msg)->nlmsg_seq != st->seq)
		return NL_OK;
	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, KHTTPS_A_MAX, NULL);
	if (err < 0) {
		snprintf(st->nl->err, sizeof(st->nl->err), "malformed reply from the kernel: %s",
			 nl_geterror(err));
		st->err = -EPROTO;
		return NL_STOP;
	}
	if (st->parse) {
		err = st->parse(tb, st->arg);
		if (err < 0) {
			st->err = err;
			return NL_STOP;
		}
	}
	return NL_OK;
}

/* The extack TLVs follow the nlmsgerr, after the echoed request unless capped. */
static const char *extack_msg(const struct nlmsgerr *e)
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		a = (const void *)((const char *)nlh + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > nlh->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    memchr((const char *)a + NLA_HDRLEN, 0, a->nla_len - NLA_HDRLEN))
			return (const char *)a + NLA_HDRLEN;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct request_state *st = arg;
	const char *msg = extack_msg(e);

	(void)who;
	st->err = e->error;
	st->done = true;
	if (msg)
		snprintf(st->nl->err, sizeof(st->nl->err), "%s", msg);
	else
		snprintf(st->nl->err, sizeof(st->nl->err), "%s", strerror(-e->error));
	return NL_STOP;
}

/* NLMSG_DONE ends a dump (dumps get no ACK). */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct request_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct request_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

/**
 * khttps_nl_open() - connect to the khttps family
 * @nl: filled in; nl->err says what failed
 *
 * Return: 0, -ENOENT when the module is not loaded, or another negative errno.
 */
int khttps_nl_open(struct khttps_nl *nl)
{
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	err = genl_connect(nl->sk);
	if (err < 0) {
		snprintf(nl->err, sizeof(nl->err), "cannot open a generic netlink socket: %s",
			 nl_geterror(err));
		goto err_sock;
	}
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/*
	 * libnl peeks at each message for its size, two recvmsg() per
	 * message.  None we get is larger than 32 KiB (the kernel sizes dump
	 * messages by the reader's buffer up to that, replies are one page),
	 * so read each once into a buffer that big.
	 */
	nl_socket_disable_msg_peek(nl->sk);
	nl_socket_set_msg_buf_size(nl->sk, 32768);
	nl->family = genl_ctrl_resolve(nl->sk, KHTTPS_GENL_NAME);
	if (nl->family < 0) {
		err = nl->family;
		snprintf(nl->err, sizeof(nl->err),
			 err == -NLE_OBJ_NOTFOUND ?
			 "the khttps module is not loaded (modprobe khttps, or insmod khttps.ko)" :
			 "cannot resolve the khttps netlink family: %s", nl_geterror(err));
		if (err == -NLE_OBJ_NOTFOUND) {
			nl_socket_free(nl->sk);
			nl->sk = NULL;
			return -ENOENT;
		}
		goto err_sock;
	}
	return 0;

err_sock:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -EIO;
}

/**
 * khttps_nl_close() - release the socket; safe on a failed or closed handle
 * @nl: handle from khttps_nl_open()
 */
void khttps_nl_close(struct khttps_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/**
 * khttps_nl_msg() - a request for @cmd carrying this build's API version
 * @nl: open handle
 * @cmd: &enum khttps_cmd
 *
 * Return: the message, or NULL on allocation failure.
 */
static struct nl_msg *khttps_nl_msg_flags(struct khttps_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags, cmd,
			 KHTTPS_API_VERSION) ||
	    nla_put_u32(msg, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct nl_msg *khttps_nl_msg(struct khttps_nl *nl, uint8_t cmd)
{
	return khttps_nl_msg_flags(nl, cmd, 0);
}

/**
 * khttps_nl_dump_msg() - a dump request for @cmd
 * @nl: open handle
 * @cmd: &enum khttps_cmd with a dump handler
 *
 * Return: the message, or NULL on allocation failure.
 */
struct nl_msg *khttps_nl_dump_msg(struct khttps_nl *nl, uint8_t cmd)
{
	return khttps_nl_msg_flags(nl, cmd, NLM_F_DUMP);
}

/**
 * khttps_nl_put_addr() - an endpoint as a &enum khttps_addr_attr nest
 * @msg: the message
 * @type: the nest's attribute type
 * @ss: AF_INET or AF_INET6 endpoint
 *
 * Return: 0 or a negative libnl error.
 */
int khttps_nl_put_addr(struct nl_msg *msg, int type, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	const struct sockaddr_in *sin = (const void *)ss;
	struct nlattr *nest = nla_nest_start(msg, type);
	int err;

	if (!nest)
		return -NLE_NOMEM;
	if (ss->ss_family == AF_INET)
		err = nla_put(msg, KHTTPS_ADDR_A_IP, 4, &sin->sin_addr) ?:
		      nla_put_u16(msg, KHTTPS_ADDR_A_PORT, ntohs(sin->sin_port));
	else
		err = nla_put(msg, KHTTPS_ADDR_A_IP, 16, &sin6->sin6_addr) ?:
		      nla_put_u16(msg, KHTTPS_ADDR_A_PORT, ntohs(sin6->sin6_port));
	if (err)
		return err;
	return nla_nest_end(msg, nest);
}

/**
 * khttps_nl_get_addr() - read a &enum khttps_addr_attr nest
 * @nest: the nest, or NULL
 * @ss: filled in; ss_family AF_UNSPEC when @nest is absent or malformed
 *
 * Return: 0 or -EPROTO.
 */
int khttps_nl_get_addr(struct nlattr *nest, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;
	struct nlattr *tb[KHTTPS_ADDR_A_MAX + 1];

	memset(ss, 0, sizeof(*ss));
	if (!nest || nla_parse_nested(tb, KHTTPS_ADDR_A_MAX, nest, NULL) < 0 ||
	    !tb[KHTTPS_ADDR_A_IP] || !tb[KHTTPS_ADDR_A_PORT])
		return -EPROTO;
	if (nla_len(tb[KHTTPS_ADDR_A_IP]) == 4) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, nla_data(tb[KHTTPS_ADDR_A_IP]), 4);
		sin->sin_port = htons(nla_get_u16(tb[KHTTPS_ADDR_A_PORT]));
	} else if (nla_len(tb[KHTTPS_ADDR_A_IP]) == 16) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, nla_data(tb[KHTTPS_ADDR_A_IP]), 16);
		sin6->sin6_port = htons(nla_get_u16(tb[KHTTPS_ADDR_A_PORT]));
	} else {
		return -EPROTO;
	}
	return 0;
}

/**
 * khttps_stat_name() - the stable name of a counter, as --json prints it
 * @stat: &enum khttps_stat
 *
 * Return: a static name, or NULL for an unknown counter.
 */
const char *khttps_stat_name(int stat)
{
	static const char *const names[__KHTTPS_STAT_MAX] = {
		[KHTTPS_STAT_ACCEPTED]		= "accepted",
		[KHTTPS_STAT_ACTIVE]		= "active",
		[KHTTPS_STAT_PENDING]		= "pending",
		[KHTTPS_STAT_HS_OK]		= "handshakes_ok",
		[KHTTPS_STAT_HS_FAILED]		= "handshakes_failed",
		[KHTTPS_STAT_HS_TIMEOUT]	= "handshake_timeouts",
		[KHTTPS_STAT_REFUSED_PENDING]	= "refused_pending",
		[KHTTPS_STAT_REFUSED_CONNS]	= "refused_connections",
		[KHTTPS_STAT_WORKER_LOST]	= "worker_lost",
		[KHTTPS_STAT_INSTALL_FAILED]	= "install_failed",
		[KHTTPS_STAT_CLIENT_GONE]	= "client_gone",
		[KHTTPS_STAT_BYTES_IN]		= "bytes_in",
		[KHTTPS_STAT_BYTES_OUT]		= "bytes_out",
		[KHTTPS_STAT_CLOSE_NOTIFY_IN]	= "close_notify_in",
		[KHTTPS_STAT_CLOSE_NOTIFY_OUT]	= "close_notify_out",
		[KHTTPS_STAT_ALERTS_IN]		= "alerts_in",
		[KHTTPS_STAT_ALERTS_OUT]	= "alerts_out",
		[KHTTPS_STAT_BAD_RECORDS]	= "bad_records",
		[KHTTPS_STAT_KEY_UPDATES]	= "key_updates",
		[KHTTPS_STAT_RENEGOTIATIONS]	= "renegotiations",
		[KHTTPS_STAT_TRUNCATED]		= "truncated",
		[KHTTPS_STAT_BACKEND_ERRORS]	= "backend_errors",
		[KHTTPS_STAT_RESETS]		= "resets",
		[KHTTPS_STAT_QUEUE_FULL]	= "queue_full",
		[KHTTPS_STAT_QUEUED]		= "queued",
		[KHTTPS_STAT_APP_ACCEPTED]	= "app_accepted",
		[KHTTPS_STAT_RECORDS_IN]	= "records_in",
		[KHTTPS_STAT_RECORDS_OUT]	= "records_out",
		[KHTTPS_STAT_HS_FAILED_TLS]	= "handshakes_failed_tls",
		[KHTTPS_STAT_HS_FAILED_CERT]	= "handshakes_failed_cert",
		[KHTTPS_STAT_HS_FAILED_INTERNAL] = "handshakes_failed_internal",
		[KHTTPS_STAT_HS_FAILED_CLOSED]	= "handshakes_failed_closed",
		[KHTTPS_STAT_UNRECOGNIZED_NAME]	= "unrecognized_name",
		[KHTTPS_STAT_HS_FAILED_CLIENT_CERT] = "handshakes_failed_client_cert",
		[KHTTPS_STAT_HS_RESUMED]	= "handshakes_resumed",
		[KHTTPS_STAT_SESSIONS_CLEAN]	= "sessions_clean",
		[KHTTPS_STAT_SESSIONS_UNCLEAN]	= "sessions_unclean",
		[KHTTPS_STAT_SESSIONS_REFUSED]	= "sessions_refused",
		[KHTTPS_STAT_IDLE_TIMEOUTS]	= "idle_timeouts",
		[KHTTPS_STAT_REFUSED_SOURCE]	= "refused_source",
	};

	return stat > 0 && stat < __KHTTPS_STAT_MAX ? names[stat] : NULL;
}

/**
 * khttps_nl_request() - send @msg, wait for its answer, free @msg
 * @nl: open handle
 * @msg: from khttps_nl_msg()
 * @parse: called for each reply message (may be NULL)
 * @arg: passed to @parse
 *
 * Return: 0, the kernel's negative errno (nl->err holds its extack message),
 * or what @parse returned.
 */
int khttps_nl_request(struct khttps_nl *nl, struct nl_msg *msg,
		      khttps_nl_parse_fn parse, void *arg)
{
	struct request_state st = { .parse = parse, .arg = arg, .nl = nl };
	struct nl_cb *cb;
	int err;

	nl->err[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &st);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, &st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);

	err = nl_send_auto(nl->sk, msg);
	st.seq = nlmsg_hdr(msg)->nlmsg_seq;
	/* Requests may carry key material: wipe before the buffer is freed. */
	explicit_bzero(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	if (err < 0) {
		snprintf(nl->err, sizeof(nl->err), "netlink send failed: %s", nl_geterror(err));
		st.err = -EIO;
		goto out;
	}
	while (!st.done && !st.err) {
		err = nl_recvmsgs(nl->sk, cb);
		if (err < 0 && !st.err) {
			snprintf(nl->err, sizeof(nl->err), "netlink receive failed: %s",
				 nl_geterror(err));
			st.err = -EIO;
		}
	}
out:
	nl_cb_put(cb);
	return st.err;
}

/**
 * khttps_nl_join() - subscribe to a khttps multicast group
 * @nl: open handle
 * @group: %KHTTPS_MCGRP_HANDSHAKE or %KHTTPS_MCGRP_EVENTS
 *
 * Return: 0 or a negative errno (-EPERM without CAP_NET_ADMIN).
 */
int khttps_nl_join(struct khttps_nl *nl, const char *group)
{
	int id, err;

	id = genl_ctrl_resolve_grp(nl->sk, KHTTPS_GENL_NAME, group);
	if (id < 0) {
		snprintf(nl->err, sizeof(nl->err), "no multicast group %s: %s", group,
			 nl_geterror(id));
		return -ENOENT;
	}
	/* A burst of notifications must not make a request fail with ENOBUFS. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_NO_ENOBUFS, &(int){ 1 },
		   sizeof(int));
	err = nl_socket_add_membership(nl->sk, id);
	if (err < 0) {
		err = err == -NLE_PERM ? -EPERM : -EIO;
		snprintf(nl->err, sizeof(nl->err), "cannot join multicast group %s: %s", group,
			 strerror(-err));
		return err;
	}
	return 0;
}

static int parse_version(struct nlattr **tb, void *arg)
{
	struct khttps_version *v = arg;

	if (!tb[KHTTPS_A_API_VERSION] || !tb[KHTTPS_A_MODULE_VERSION] ||
	    !tb[KHTTPS_A_KERNEL_RELEASE] || !tb[KHTTPS_A_CAPS])
		return -EPROTO;
	v->api = nla_get_u32(tb[KHTTPS_A_API_VERSION]);
	v->caps = nla_get_u32(tb[KHTTPS_A_CAPS]);
	nla_strlcpy(v->module, tb[KHTTPS_A_MODULE_VERSION], sizeof(v->module));
	nla_strlcpy(v->kernel, tb[KHTTPS_A_KERNEL_RELEASE], sizeof(v->kernel));
	return 0;
}

/**
 * khttps_nl_version() - ask the module for its version and capabilities
 * @nl: open handle
 * @v: filled in on success
 *
 * Return: 0 or a negative errno; nl->err says why.
 */
int khttps_nl_version(struct khttps_nl *nl, struct khttps_version *v)
{
	struct nl_msg *msg = khttps_nl_msg(nl, KHTTPS_CMD_VERSION_GET);
	int err;

	memset(v, 0, sizeof(*v));
	if (!msg) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	err = khttps_nl_request(nl, msg, parse_version, v);
	if (err == -EPROTO && !nl->err[0])
		snprintf(nl->err, sizeof(nl->err), "the module's version reply lacks attributes");
	return err;
}

/**
 * khttps_cap_name() - the name of one &enum khttps_cap bit
 * @bit: a single bit
 *
 * Return: a static name, or NULL for a bit this build does not know.
 */
const char *khttps_cap_name(uint32_t bit)
{
	switch (bit) {
	case KHTTPS_CAP_LISTEN:		return "listen";
	case KHTTPS_CAP_TLS12:		return "tls1.2";
	case KHTTPS_CAP_TLS13:		return "tls1.3";
	case KHTTPS_CAP_FORWARD:	return "forward";
	case KHTTPS_CAP_QUEUE:		return "queue";
	case KHTTPS_CAP_SNI:		return "sni";
	case KHTTPS_CAP_EVENTS:		return "events";
	case KHTTPS_CAP_CONNS:		return "conns";
	case KHTTPS_CAP_NOTIFY_PORT:	return "notify-port";
	}
	return NULL;
}
