// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: what both plaintext paths (the forward relay and application
 * sockets from an accept queue) do with TLS records that are not data.
 *
 * kTLS hands a non-data record to its reader only through a control
 * message (TLS_GET_RECORD_TYPE) and sends none itself: no alert on a bad
 * record, no close_notify on close.  These helpers read such a record,
 * decide what it means, and send the alert RFC 8446 (and RFC 5246 for
 * renegotiation) asks for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tls.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

/**
 * khttps_tls_send_alert() - send one alert record on a kTLS socket
 * @sock: the client socket, kTLS TX installed
 * @level: %TLS_ALERT_WARNING or %TLS_ALERT_FATAL
 * @desc: the alert description
 *
 * A receive error leaves sk_err set and every send would fail with it, so
 * it is cleared first.  Never blocks.  Calls the socket's own sendmsg, so
 * an application socket's byte counter does not see the alert.
 *
 * Return: 2 (bytes sent) or a negative errno (-EAGAIN: no room now).
 */
int khttps_tls_send_alert(struct socket *sock, u8 level, u8 desc)
{
	union {
		struct cmsghdr hdr;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} cbuf = {};
	u8 alert[2] = { level, desc };
	struct kvec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_control = &cbuf,
		.msg_controllen = sizeof(cbuf),
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};

	cbuf.hdr.cmsg_level = SOL_TLS;
	cbuf.hdr.cmsg_type = TLS_SET_RECORD_TYPE;
	cbuf.hdr.cmsg_len = CMSG_LEN(sizeof(u8));
	*(u8 *)CMSG_DATA(&cbuf.hdr) = TLS_CT_ALERT;
	sock_error(sock->sk);
	return kernel_sendmsg(sock, &msg, &iov, 1, sizeof(alert));
}

/* Add the records since @seen to @stat; @seq only grows, callers may race. */
static void khttps_count_seq(struct khttps_conn *kc, atomic64_t *seen, u64 seq, int stat)
{
	s64 old = atomic64_read(seen);

	do {
		if (seq <= (u64)old)
			return;
	} while (!atomic64_try_cmpxchg(seen, &old, seq));
	khttps_stat_add(kc->kc_kn, kc->kc_binding, stat, seq - (u64)old);
}

/**
 * khttps_tls_count_records() - count the records kTLS did since the last call
 * @kc: an established connection
 *
 * kTLS keeps each direction's record sequence number, which it advances for
 * every record it decrypts or encrypts; the difference since the keys went
 * in is the number of records, of every type.  Called after reads and
 * writes and at the end, so the counters follow the traffic.
 *
 * Context: process; takes the socket lock (kTLS changes the numbers under it).
 */
void khttps_tls_count_records(struct khttps_conn *kc)
{
	struct sock *sk = kc->kc_sock->sk;
	struct tls_context *ctx;
	u64 rx = 0, tx = 0;

	if (!kc->kc_version)
		return;
	lock_sock(sk);
	ctx = tls_get_ctx(sk);
	if (ctx && ctx->rx_conf == TLS_SW && ctx->tx_conf == TLS_SW) {
		rx = get_unaligned_be64(ctx->rx.rec_seq);
		tx = get_unaligned_be64(ctx->tx.rec_seq);
	}
	release_sock(sk);
	if (!rx && !tx)
		return;
	khttps_count_seq(kc, &kc->kc_rec_in, rx, KHTTPS_STAT_RECORDS_IN);
	khttps_count_seq(kc, &kc->kc_rec_out, tx, KHTTPS_STAT_RECORDS_OUT);
}

/**
 * khttps_tls_tx_pending() - does kTLS hold records it could not yet give to TCP?
 * @sock: a kTLS socket
 *
 * kTLS frees such records when the socket closes, so a close must wait
 * until this is false or the client loses the end of its response.
 *
 * Context: process; takes the socket lock.
 */
bool khttps_tls_tx_pending(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tls_context *ctx;
	bool pending = false;

	lock_sock(sk);
	ctx = tls_get_ctx(sk);
	if (ctx && ctx->tx_conf == TLS_SW)
		pending = ctx->partially_sent_record ||
			  !list_empty(&tls_sw_ctx_tx(ctx)->tx_list);
	release_sock(sk);
	return pending;
}

/**
 * khttps_tls_control() - what a non-data record from the client means
 * @kc: the connection
 * @type: the record's content type
 * @body: its first bytes (two are enough)
 * @len: how many of them there are
 * @end: set when the connection must end: the counter and the alert to send
 *
 * Return: 0 to go on (a warning that needs nothing), 1 for a close_notify,
 * -1 to end the connection as @end says.
 */
int khttps_tls_control(struct khttps_conn *kc, u8 type, const u8 *body, unsigned int len,
		       struct khttps_end *end)
{
	struct khttps_binding *kb = kc->kc_binding;
	struct khttps_net *kn = kc->kc_kn;
	u8 b0 = len > 0 ? body[0] : 0, b1 = len > 1 ? body[1] : 0xff;

	switch (type) {
	case TLS_CT_ALERT:
		if (len < 2) {
			*end = (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS, TLS_ALERT_DECODE_ERROR };
			return -1;
		}
		if (b1 == TLS_ALERT_CLOSE_NOTIFY) {
			khttps_stat_inc(kn, kb, KHTTPS_STAT_CLOSE_NOTIFY_IN);
			set_bit(KHTTPS_CF_RX_EOF, &kc->kc_flags);
			return 1;
		}
		khttps_stat_inc(kn, kb, KHTTPS_STAT_ALERTS_IN);
		/* user_canceled is followed by close_notify; every other alert is fatal. */
		if (b1 == TLS_ALERT_USER_CANCELED && b0 == TLS_ALERT_WARNING)
			return 0;
		*end = (struct khttps_end){ .stat = 0, .alert = -1 };
		return -1;
	case TLS_CT_HANDSHAKE:
		if (kc->kc_version == TLS_1_3_VERSION && b0 == TLS_HS_KEY_UPDATE) {
			/* kTLS on 6.12 cannot install new receive keys. */
			*end = (struct khttps_end){ KHTTPS_STAT_KEY_UPDATES, TLS_ALERT_INTERNAL_ERROR };
		} else if (kc->kc_version == TLS_1_2_VERSION && b0 == TLS_HS_CLIENT_HELLO) {
			*end = (struct khttps_end){ KHTTPS_STAT_RENEGOTIATIONS,
						    TLS_ALERT_NO_RENEGOTIATION };
		} else {
			*end = (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS,
						    TLS_ALERT_UNEXPECTED_MESSAGE };
		}
		return -1;
	default:
		*end = (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS, TLS_ALERT_UNEXPECTED_MESSAGE };
		return -1;
	}
}

/**
 * khttps_tls_rx_error() - the alert RFC 8446 6.2 asks for after a kTLS receive error
 * @err: the negative errno kTLS returned
 *
 * Return: the counter and alert; alert -1 for a TCP error (nobody to tell).
 */
struct khttps_end khttps_tls_rx_error(int err)
{
	switch (err) {
	case -EBADMSG:		/* authentication failed, or a record too short to be one */
		return (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS, TLS_ALERT_BAD_RECORD_MAC };
	case -EMSGSIZE:		/* longer than 2^14 + overhead */
		return (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS, TLS_ALERT_RECORD_OVERFLOW };
	case -EINVAL:		/* bad record header */
		return (struct khttps_end){ KHTTPS_STAT_BAD_RECORDS, TLS_ALERT_DECODE_ERROR };
	case -ENOMEM:
		return (struct khttps_end){ 0, TLS_ALERT_INTERNAL_ERROR };
	default:
		return (struct khttps_end){ KHTTPS_STAT_RESETS, -1 };
	}
}

/**
 * khttps_tls_end() - count why a connection ends and send its fatal alert
 * @kc: the connection
 * @end: from khttps_tls_control() or khttps_tls_rx_error()
 */
void khttps_tls_end(struct khttps_conn *kc, struct khttps_end end)
{
	/* Closed meanwhile (module unload, idle sweep): that end was counted. */
	if (READ_ONCE(kc->kc_state) == KHTTPS_CONN_CLOSED)
		return;
	set_bit(KHTTPS_CF_FAILED, &kc->kc_flags);
	if (end.stat) {
		khttps_stat_inc(kc->kc_kn, kc->kc_binding, end.stat);
		khttps_netlink_event(kc, end.stat);
	}
	if (end.alert >= 0 &&
	    khttps_tls_send_alert(kc->kc_sock, TLS_ALERT_FATAL, end.alert) > 0)
		khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_ALERTS_OUT);
}
