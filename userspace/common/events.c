// SPDX-License-Identifier: GPL-2.0
/*
 * The error log's events: read from netlink, written as a line or as JSON.
 *
 * A line is "TIME PEER LOCAL BINDING REASON SNI", blank-separated, "-" for
 * what is not known, TIME in UTC (RFC 3339, microseconds), REASON the name
 * of the counter the connection was counted under (khttpsctl stats):
 *
 *   2026-11-23T17:40:25.123456Z 192.0.2.7:50122 0.0.0.0:443 www.example.test:443 handshakes_failed_tls -
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "addr.h"
#include "events.h"
#include "json.h"

/**
 * khttps_binding_name() - a binding's name, as khttpsctl spells it
 * @tb: attributes holding %KHTTPS_A_KIND with %KHTTPS_A_HOST and
 *	%KHTTPS_A_PORT, or %KHTTPS_A_BIND
 * @out: "www.example.test:443", "ccs:443", "0.0.0.0:443"; "" when none
 * @len: size of @out
 */
void khttps_binding_name(struct nlattr **tb, char *out, size_t len)
{
	int kind = tb[KHTTPS_A_KIND] ? nla_get_u8(tb[KHTTPS_A_KIND]) : KHTTPS_BIND_ADDR;
	unsigned int port = tb[KHTTPS_A_PORT] ? nla_get_u16(tb[KHTTPS_A_PORT]) : 0;
	struct sockaddr_storage ss;

	out[0] = '\0';
	if (kind == KHTTPS_BIND_HOST && tb[KHTTPS_A_HOST]) {
		snprintf(out, len, "%s:%u", nla_get_string(tb[KHTTPS_A_HOST]), port);
	} else if (kind == KHTTPS_BIND_CCS) {
		snprintf(out, len, "ccs:%u", port);
	} else if (tb[KHTTPS_A_BIND]) {
		khttps_nl_get_addr(tb[KHTTPS_A_BIND], &ss);
		khttps_addr_format(&ss, out, len);
	}
}

/**
 * khttps_event_read() - an event from a %KHTTPS_CMD_EVENT's attributes
 * @tb: the attributes
 * @ev: filled
 *
 * Return: 0, or -EPROTO when the event lacks its reason or time.
 */
int khttps_event_read(struct nlattr **tb, struct khttps_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (!tb[KHTTPS_A_REASON] || !tb[KHTTPS_A_TIME])
		return -EPROTO;
	ev->reason = nla_get_u32(tb[KHTTPS_A_REASON]);
	ev->time_ns = nla_get_u64(tb[KHTTPS_A_TIME]);
	if (tb[KHTTPS_A_CONN_ID])
		ev->conn_id = nla_get_u64(tb[KHTTPS_A_CONN_ID]);
	khttps_nl_get_addr(tb[KHTTPS_A_PEER], &ev->peer);
	khttps_nl_get_addr(tb[KHTTPS_A_LOCAL], &ev->local);
	if (tb[KHTTPS_A_BINDING_ID])
		khttps_binding_name(tb, ev->binding, sizeof(ev->binding));
	if (tb[KHTTPS_A_SNI])
		nla_strlcpy(ev->sni, tb[KHTTPS_A_SNI], sizeof(ev->sni));
	return 0;
}

static void event_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ", (unsigned int)(ns % 1000000000 / 1000));
}

static const char *reason_name(uint32_t reason)
{
	const char *name = khttps_stat_name((int)reason);

	return name ? name : "unknown";
}

/**
 * khttps_event_line() - an event as one line of the error log (no newline)
 * @ev: the event
 * @buf: where
 * @len: size of @buf
 */
void khttps_event_line(const struct khttps_event *ev, char *buf, size_t len)
{
	char t[40], peer[KHTTPS_ADDRSTRLEN] = "-", local[KHTTPS_ADDRSTRLEN] = "-";

	event_time(ev->time_ns, t, sizeof(t));
	if (ev->peer.ss_family)
		khttps_addr_format(&ev->peer, peer, sizeof(peer));
	if (ev->local.ss_family)
		khttps_addr_format(&ev->local, local, sizeof(local));
	snprintf(buf, len, "%s %s %s %s %s %s", t, peer, local,
		 ev->binding[0] ? ev->binding : "-", reason_name(ev->reason),
		 ev->sni[0] ? ev->sni : "-");
}

/**
 * khttps_event_json() - an event as one JSON object (no newline)
 * @f: where
 * @ev: the event
 */
void khttps_event_json(FILE *f, const struct khttps_event *ev)
{
	char t[40], a[KHTTPS_ADDRSTRLEN];

	event_time(ev->time_ns, t, sizeof(t));
	fprintf(f, "{\"time\":\"%s\",\"reason\":\"%s\"", t, reason_name(ev->reason));
	if (ev->conn_id)
		fprintf(f, ",\"conn\":%llu", (unsigned long long)ev->conn_id);
	if (ev->peer.ss_family) {
		fputs(",\"peer\":", f);
		khttps_json_string(f, khttps_addr_format(&ev->peer, a, sizeof(a)));
	}
	if (ev->local.ss_family) {
		fputs(",\"local\":", f);
		khttps_json_string(f, khttps_addr_format(&ev->local, a, sizeof(a)));
	}
	if (ev->binding[0]) {
		fputs(",\"binding\":", f);
		khttps_json_string(f, ev->binding);
	}
	if (ev->sni[0]) {
		fputs(",\"sni\":", f);
		khttps_json_string(f, ev->sni);
	}
	fputc('}', f);
}

/* Notifications carry sequence number 0: take them all. */
static int any_seq(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

struct events_state {
	khttps_event_fn fn;
	void *arg;
	int ret;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	struct events_state *st = arg;
	struct nlattr *tb[KHTTPS_A_MAX + 1];
	struct khttps_event ev;

	if (genlmsg_hdr(nlmsg_hdr(msg))->cmd != KHTTPS_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, KHTTPS_A_MAX, NULL) < 0 ||
	    khttps_event_read(tb, &ev))
		return NL_SKIP;
	st->ret = st->fn(&ev, st->arg);
	return st->ret ? NL_STOP : NL_OK;
}

/**
 * khttps_nl_events() - join the events group and hand each event to @fn
 * @nl: open handle, used for nothing else meanwhile
 * @fn: called per event, and with NULL when a signal interrupted the
 *	wait (the caller's handlers may have work for it); a non-zero return
 *	ends the loop
 * @arg: for @fn
 * @lost: counts events the kernel could not deliver (our socket was full)
 *
 * Return: @fn's non-zero return, or a negative errno (nl->err says why):
 * -EPERM without CAP_NET_ADMIN, -EOPNOTSUPP for a module without the error log.
 */
int khttps_nl_events(struct khttps_nl *nl, khttps_event_fn fn, void *arg, uint64_t *lost)
{
	struct events_state st = { .fn = fn, .arg = arg };
	struct khttps_version v;
	struct pollfd pfd;
	struct nl_cb *cb;
	int id, err;

	/* An older module has the group, but never sends on it. */
	err = khttps_nl_version(nl, &v);
	if (err)
		return err;
	if (!(v.caps & KHTTPS_CAP_EVENTS)) {
		snprintf(nl->err, sizeof(nl->err), "khttps.ko %s (api %u) has no error log",
			 v.module, v.api);
		return -EOPNOTSUPP;
	}
	id = genl_ctrl_resolve_grp(nl->sk, KHTTPS_GENL_NAME, KHTTPS_MCGRP_EVENTS);
	if (id < 0) {
		snprintf(nl->err, sizeof(nl->err), "no multicast group %s", KHTTPS_MCGRP_EVENTS);
		return -ENOENT;
	}
	/* Room for bursts; beyond it the kernel drops and ENOBUFS says so. */
	nl_socket_set_buffer_size(nl->sk, 4 << 20, 0);
	err = nl_socket_add_membership(nl->sk, id);
	if (err < 0) {
		err = err == -NLE_PERM ? -EPERM : -EIO;
		snprintf(nl->err, sizeof(nl->err), "cannot join the events group: %s",
			 strerror(-err));
		return err;
	}
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb || nl_socket_set_nonblocking(nl->sk) < 0) {
		nl_cb_put(cb);
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, any_seq, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, &st);
	pfd.fd = nl_socket_get_fd(nl->sk);
	pfd.events = POLLIN;
	while (!st.ret) {
		/* poll() returns at a signal, whatever SA_RESTART says: recv would not. */
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR) {
				st.ret = fn(NULL, arg);
				continue;
			}
			snprintf(nl->err, sizeof(nl->err), "poll: %s", strerror(errno));
			st.ret = -EIO;
			break;
		}
		while (!st.ret) {
			err = nl_recvmsgs_report(nl->sk, cb);
			if (err == -NLE_NOMEM) {	/* ENOBUFS: the kernel dropped some */
				if (lost)
					(*lost)++;
				continue;
			}
			if (err < 0 && err != -NLE_AGAIN && err != -NLE_INTR) {
				snprintf(nl->err, sizeof(nl->err), "receiving events: %s",
					 nl_geterror(err));
				st.ret = -EIO;
			}
			if (err <= 0)
				break;
		}
	}
	nl_cb_put(cb);
	return st.ret;
}
