// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: application sockets.  A connection taken from an accept queue is
 * its own kTLS socket, handed to the application with socket operations of
 * ours wrapped around kTLS's, so that code written for plain TCP (read,
 * write, sendfile, splice, poll) works unchanged where raw kTLS differs:
 *
 *   - kTLS fails every read with EIO once a non-data record is next.  Here
 *     a close_notify reads as EOF, a user_canceled warning is skipped, and
 *     a fatal alert, a bad record, a KeyUpdate (6.12 kTLS cannot rekey) or
 *     a renegotiation gets the alert the RFCs ask for, is counted, and fails
 *     the read (ECONNRESET when the client sent the fatal alert,
 *     ECONNABORTED when we did).
 *   - kTLS sends nothing on close.  Here shutdown(SHUT_WR) and the last
 *     close send close_notify, and close waits (at most KHTTPS_LINGER_MS)
 *     until kTLS has handed its last records to TCP: kTLS frees records it
 *     still holds when the socket closes, which would cut the response.
 *   - getsockopt(SOL_TLS, TLS_TX/TLS_RX) would return the record keys.
 *     Here it fails with EPERM, as does setting them.
 *
 * A recvmsg() with a control buffer passes through: the caller sees every
 * record type as kTLS gives it.
 *
 * The wrapping is at the struct socket (sock->ops), which is ours until the
 * application has the fd; kTLS keeps sk->sk_prot and reinstalls sock->ops
 * only from its own setsockopt(SOL_TLS), which is refused here.  One copy
 * of each distinct kTLS ops table (IPv4, IPv6; software or device TX/RX) is
 * built on first use.  Its owner is this module: each application socket
 * holds a module reference that the socket layer drops after release, so
 * the module cannot go while an application still has a connection.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

struct khttps_appops {
	const struct proto_ops *orig;	/* kTLS's */
	struct proto_ops ops;		/* ours */
};

/* Enough for IPv4 and IPv6 times kTLS's software and device configurations. */
#define KHTTPS_APPOPS_MAX	8
static struct khttps_appops khttps_appops[KHTTPS_APPOPS_MAX];
static unsigned int khttps_nappops;
static DEFINE_MUTEX(khttps_appops_lock);

static const struct proto_ops *khttps_app_orig(const struct socket *sock)
{
	return container_of_const(sock->ops, struct khttps_appops, ops)->orig;
}

/* The socket holds a reference on its connection until release. */
static struct khttps_conn *khttps_app_conn(const struct socket *sock)
{
	uintptr_t p = (uintptr_t)rcu_dereference_protected(__sk_user_data(sock->sk), 1);

	return (struct khttps_conn *)(p & SK_USER_DATA_PTRMASK);
}

/*
 * The connection ends here: count why, send the fatal alert (once), and
 * stop both directions.
 */
static int khttps_app_fail(struct khttps_conn *kc, struct socket *sock, struct khttps_end end,
			   int err)
{
	if (test_and_set_bit(KHTTPS_CF_FAILED, &kc->kc_flags))
		return err;
	set_bit(KHTTPS_CF_RX_END, &kc->kc_flags);
	khttps_tls_end(kc, end);
	khttps_app_orig(sock)->shutdown(sock, SHUT_RDWR);
	return err;
}

/* After a kTLS receive error: the alert it calls for, if it is the record's fault. */
static int khttps_app_rx_error(struct khttps_conn *kc, struct socket *sock, int err)
{
	switch (err) {
	case -EBADMSG:
	case -EMSGSIZE:
	case -EINVAL:
		return khttps_app_fail(kc, sock, khttps_tls_rx_error(err), err);
	case -ECONNRESET:
	case -EPIPE:
	case -ETIMEDOUT:
		if (!test_and_set_bit(KHTTPS_CF_RX_END, &kc->kc_flags)) {
			khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_RESETS);
			khttps_netlink_event(kc, KHTTPS_STAT_RESETS);
		}
		return err;
	default:		/* EAGAIN, EINTR and the like */
		return err;
	}
}

/*
 * Read (or with MSG_PEEK look at) the next record's first bytes with a
 * control buffer, which makes kTLS say its type.  Return: bytes read or a
 * negative errno; *type is the record's content type.
 */
static int khttps_app_read_record(struct socket *sock, u8 *buf, size_t len, int flags, u8 *type)
{
	union {
		struct cmsghdr hdr;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} cbuf = {};
	struct msghdr msg = {
		.msg_control = &cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	int n;

	iov_iter_kvec(&msg.msg_iter, ITER_DEST, &kv, 1, len);
	n = khttps_app_orig(sock)->recvmsg(sock, &msg, len, flags | MSG_DONTWAIT);
	*type = TLS_CT_APPDATA;
	/* 0 with a type: a control record with no body, not the end. */
	if (n >= 0 && msg.msg_controllen < sizeof(cbuf) && cbuf.hdr.cmsg_level == SOL_TLS &&
	    cbuf.hdr.cmsg_type == TLS_GET_RECORD_TYPE)
		*type = *(u8 *)CMSG_DATA(&cbuf.hdr);
	return n;
}

/*
 * A kTLS read stopped at something other than data.  If a non-data record
 * is next, read it and act on it.  Return: 1 to read on (a warning), 0 for
 * the client's close_notify (EOF), -ENODATA when the next record is data or
 * none is there, or the error for the read.
 */
static int khttps_app_control(struct khttps_conn *kc, struct socket *sock)
{
	struct khttps_end end;
	u8 body[8], type;
	int n;

	/* A peek first, so that data is never consumed here. */
	n = khttps_app_read_record(sock, body, 1, MSG_PEEK, &type);
	if (n >= 0 && type != TLS_CT_APPDATA)
		n = khttps_app_read_record(sock, body, sizeof(body), 0, &type);
	if (n < 0 || type == TLS_CT_APPDATA)
		return n < 0 && n != -EAGAIN ? n : -ENODATA;
	switch (khttps_tls_control(kc, type, body, n, &end)) {
	case 0:
		return 1;
	case 1:
		set_bit(KHTTPS_CF_RX_EOF, &kc->kc_flags);
		set_bit(KHTTPS_CF_RX_END, &kc->kc_flags);
		return 0;
	default:
		return khttps_app_fail(kc, sock, end,
				       end.alert < 0 ? -ECONNRESET : -ECONNABORTED);
	}
}

/* Has the read side ended?  0 for EOF, a negative errno, or 1 to read. */
static int khttps_app_rx_state(struct khttps_conn *kc)
{
	if (test_bit(KHTTPS_CF_RX_EOF, &kc->kc_flags))
		return 0;
	if (test_bit(KHTTPS_CF_FAILED, &kc->kc_flags))
		return -ECONNABORTED;
	return 1;
}

/* kTLS returned 0: TCP ended without close_notify. */
static int khttps_app_rx_eof(struct khttps_conn *kc, size_t size)
{
	if (size && !test_and_set_bit(KHTTPS_CF_RX_END, &kc->kc_flags)) {
		set_bit(KHTTPS_CF_TRUNCATED, &kc->kc_flags);
		khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_TRUNCATED);
	}
	return 0;
}

static int khttps_app_recvmsg(struct socket *sock, struct msghdr *msg, size_t size, int flags)
{
	const struct proto_ops *orig = khttps_app_orig(sock);
	struct khttps_conn *kc = khttps_app_conn(sock);
	int n;

	/* The caller reads record types itself. */
	if (msg->msg_controllen)
		return orig->recvmsg(sock, msg, size, flags);
	for (;;) {
		n = khttps_app_rx_state(kc);
		if (n <= 0)
			return n;
		n = orig->recvmsg(sock, msg, size, flags);
		khttps_tls_count_records(kc);
		if (n > 0) {
			khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_IN, n);
			return n;
		}
		if (n == 0)
			return khttps_app_rx_eof(kc, size);
		if (n != -EIO)
			return khttps_app_rx_error(kc, sock, n);
		n = khttps_app_control(kc, sock);
		if (n == -ENODATA)
			return -EIO;
		if (n <= 0)
			return n;
	}
}

static ssize_t khttps_app_splice_read(struct socket *sock, loff_t *ppos,
				      struct pipe_inode_info *pipe, size_t len,
				      unsigned int flags)
{
	const struct proto_ops *orig = khttps_app_orig(sock);
	struct khttps_conn *kc = khttps_app_conn(sock);
	ssize_t n;
	int r;

	for (;;) {
		r = khttps_app_rx_state(kc);
		if (r <= 0)
			return r;
		n = orig->splice_read(sock, ppos, pipe, len, flags);
		khttps_tls_count_records(kc);
		if (n > 0) {
			khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_IN, n);
			return n;
		}
		if (n == 0)
			return khttps_app_rx_eof(kc, len);
		/* kTLS splices no control record: EINVAL when one is next. */
		if (n != -EINVAL)
			return khttps_app_rx_error(kc, sock, n);
		r = khttps_app_control(kc, sock);
		if (r == -ENODATA)	/* not a record's fault: no alert */
			return n;
		if (r <= 0)
			return r;
	}
}

static int khttps_app_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct khttps_conn *kc = khttps_app_conn(sock);
	int n;

	n = khttps_app_orig(sock)->sendmsg(sock, msg, size);
	khttps_tls_count_records(kc);
	/* A control buffer may make the record something other than data. */
	if (n > 0 && !msg->msg_controllen)
		khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_OUT, n);
	return n;
}

#if KHTTPS_HAVE_SENDPAGE
/* 6.1's sendfile comes here, not through sendmsg: count it the same way. */
static ssize_t khttps_app_sendpage(struct socket *sock, struct page *page, int offset,
				   size_t size, int flags)
{
	struct khttps_conn *kc = khttps_app_conn(sock);
	ssize_t n;

	n = khttps_app_orig(sock)->sendpage(sock, page, offset, size, flags);
	khttps_tls_count_records(kc);
	if (n > 0)
		khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_OUT, n);
	return n;
}
#endif

/*
 * Send close_notify once, waiting for room at most until @deadline
 * (jiffies; 0: do not wait).  Not after a fatal alert or a reset, nor when
 * the close_notify policy is off.
 */
static void khttps_app_close_notify(struct khttps_conn *kc, struct socket *sock,
				    unsigned long deadline)
{
	int n;

	if (!test_bit(KHTTPS_CF_CLOSE_NOTIFY, &kc->kc_flags) ||
	    test_bit(KHTTPS_CF_FAILED, &kc->kc_flags) ||
	    test_and_set_bit(KHTTPS_CF_TX_CLOSED, &kc->kc_flags))
		return;
	for (;;) {
		if (!(1 << READ_ONCE(sock->sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
			return;
		n = khttps_tls_send_alert(sock, TLS_ALERT_WARNING, TLS_ALERT_CLOSE_NOTIFY);
		if (n > 0) {
			khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_CLOSE_NOTIFY_OUT);
			return;
		}
		if (n != -EAGAIN || !deadline || time_after(jiffies, deadline) ||
		    fatal_signal_pending(current))
			break;
		msleep(KHTTPS_LINGER_POLL_MS);
	}
	/* Not sent: a later close may try again. */
	clear_bit(KHTTPS_CF_TX_CLOSED, &kc->kc_flags);
}

static int khttps_app_shutdown(struct socket *sock, int how)
{
	/* how is SHUT_RD, SHUT_WR or SHUT_RDWR (0, 1, 2). */
	if (how == SHUT_WR || how == SHUT_RDWR)
		khttps_app_close_notify(khttps_app_conn(sock), sock, 0);
	return khttps_app_orig(sock)->shutdown(sock, how);
}

/*
 * The application's last reference: close_notify, then let kTLS hand its
 * last records to TCP (bounded), then the connection leaves the table and
 * kTLS and TCP close the socket as usual.
 */
static int khttps_app_release(struct socket *sock)
{
	const struct proto_ops *orig = khttps_app_orig(sock);
	struct khttps_conn *kc = khttps_app_conn(sock);
	unsigned long deadline = jiffies + msecs_to_jiffies(KHTTPS_LINGER_MS);
	struct khttps_net *kn = kc->kc_kn;

	khttps_app_close_notify(kc, sock, deadline);
	while (khttps_tls_tx_pending(sock) && time_before(jiffies, deadline) &&
	       !READ_ONCE(sock->sk->sk_err) && !fatal_signal_pending(current))
		msleep(KHTTPS_LINGER_POLL_MS);

	mutex_lock(&kn->kn_lock);
	khttps_conn_close(kc, 0);
	write_lock_bh(&sock->sk->sk_callback_lock);
	rcu_assign_sk_user_data(sock->sk, NULL);
	write_unlock_bh(&sock->sk->sk_callback_lock);
	kc->kc_sock = NULL;
	mutex_unlock(&kn->kn_lock);
	khttps_conn_put(kc);	/* the socket's reference */
	return orig->release(sock);
}

static int khttps_app_getsockopt(struct socket *sock, int level, int optname,
				 char __user *optval, int __user *optlen)
{
	if (level == SOL_TLS && (optname == TLS_TX || optname == TLS_RX))
		return -EPERM;
	return khttps_app_orig(sock)->getsockopt(sock, level, optname, optval, optlen);
}

static int khttps_app_setsockopt(struct socket *sock, int level, int optname,
				 sockptr_t optval, unsigned int optlen)
{
	if ((level == SOL_TLS && (optname == TLS_TX || optname == TLS_RX)) ||
	    (level == SOL_TCP && optname == TCP_ULP))
		return -EPERM;
	return khttps_app_orig(sock)->setsockopt(sock, level, optname, optval, optlen);
}

/* Our ops around @orig, built on first use.  Context: process. */
static const struct proto_ops *khttps_app_ops(const struct proto_ops *orig)
{
	struct khttps_appops *ao = NULL;
	unsigned int i;

	mutex_lock(&khttps_appops_lock);
	for (i = 0; i < khttps_nappops; i++)
		if (khttps_appops[i].orig == orig)
			ao = &khttps_appops[i];
	if (!ao && khttps_nappops < KHTTPS_APPOPS_MAX) {
		ao = &khttps_appops[khttps_nappops++];
		ao->orig = orig;
		ao->ops = *orig;
		ao->ops.owner = THIS_MODULE;
		ao->ops.release = khttps_app_release;
		ao->ops.recvmsg = khttps_app_recvmsg;
		ao->ops.splice_read = khttps_app_splice_read;
		ao->ops.sendmsg = khttps_app_sendmsg;
#if KHTTPS_HAVE_SENDPAGE
		ao->ops.sendpage = khttps_app_sendpage;
#endif
		ao->ops.shutdown = khttps_app_shutdown;
		ao->ops.getsockopt = khttps_app_getsockopt;
		ao->ops.setsockopt = khttps_app_setsockopt;
	}
	mutex_unlock(&khttps_appops_lock);
	return ao ? &ao->ops : NULL;
}

/**
 * khttps_app_adopt() - make an established connection's socket an application socket
 * @kc: established, off its queue, its file held by the kernel alone
 *
 * Return: 0, or -ENOMEM (no room for another ops table; the caller closes it).
 * Context: process; kn_lock held; called from a /dev/khttps ioctl, so the
 * module is pinned.
 */
int khttps_app_adopt(struct khttps_conn *kc)
{
	struct socket *sock = kc->kc_sock;
	const struct proto_ops *orig = sock->ops, *ops;
	struct sock *sk = sock->sk;

	lockdep_assert_held(&kc->kc_kn->kn_lock);
	ops = khttps_app_ops(orig);
	if (!ops)
		return -ENOMEM;
	__module_get(THIS_MODULE);	/* put by __sock_release(), after our release */
	khttps_conn_get(kc);		/* put by khttps_app_release() */
	set_bit(KHTTPS_CF_APP, &kc->kc_flags);
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, kc);
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sock->ops, ops);
	/* The reference accept took for kTLS's ops (built-in: none). */
	module_put(orig->owner);
	return 0;
}

/**
 * khttps_app_exit() - forget the ops tables at module exit
 *
 * No application socket is left: each held a module reference.
 */
void khttps_app_exit(void)
{
	khttps_nappops = 0;
}
