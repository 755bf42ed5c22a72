// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: forward mode, the in-kernel relay between a kTLS client socket and
 * a plain TCP backend.
 *
 * Each direction holds at most one TLS record's worth (16 KiB) of
 * plaintext; nothing more is read from a side until that is sent on, so a
 * slow reader slows the writer down (TCP back-pressure) and no connection
 * buffers more than 32 KiB.  Copies are what the APIs make unavoidable on
 * 6.12:
 *
 *   client -> backend: kTLS decrypts straight into the pipe's pages (the
 *	decryption is the only pass over the data; for TLS 1.3 only with
 *	rx_expect_no_pad, see khttps_ktls_no_pad); the pages go to the
 *	backend's TCP with MSG_SPLICE_PAGES, which references them instead of
 *	copying.
 *   backend -> client: tcp_read_sock() lends the backend socket's received
 *	pages; the relay takes a reference on each and hands them to kTLS with
 *	MSG_SPLICE_PAGES, which encrypts out of place into its own record (the
 *	only pass over the data).  What is not in such a page (an skb's linear
 *	head, where small packets land) is copied into the relay's own pages.
 *
 * 6.1 has no MSG_SPLICE_PAGES (compat.h): TCP copies the pipe's pages, and
 * kTLS's sendmsg references the lent pages for a full record and copies
 * them for a partial one.
 *
 * A page still referenced by a socket (spliced, not yet acked or encrypted)
 * is never written again: the pipe replaces it with a fresh page.
 *
 * Wake-ups: the relay puts an entry on each socket's wait queue, as poll
 * does, instead of replacing sk_data_ready and friends.  kTLS wraps those
 * callbacks and restores what it saved at close, so a replaced callback
 * could outlive the module; a wait-queue entry is removed before the socket
 * is released.  Every wake-up only notes which way data may move and puts
 * the connection on a per-CPU ready list, whose drain runs it
 * (khttps_relay_kick).
 *
 * Records: a client close_notify shuts the backend's write side and the
 * relay goes on until the backend ends; a backend EOF sends close_notify
 * and closes both.  A fatal alert from the client, a record kTLS refuses
 * (bad MAC, oversize, bad header), a KeyUpdate (kTLS on 6.12 cannot take new
 * keys) or a renegotiation ends that connection with the alert RFC 8446 and
 * RFC 5246 ask for; kTLS sends no alert itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

/* How long a closing connection may wait for kTLS to hand its last records to TCP. */
#define KHTTPS_LINGER_MS	10000
#define KHTTPS_LINGER_POLL_MS	20

/*
 * Which direction a wake-up may let move (bits of khttps_relay.events):
 * readable client or writable backend moves data up, readable backend or
 * writable client moves it down.  The relay runs only the directions woken,
 * so a response does not also cost an empty read of the client.
 */
enum {
	KHTTPS_RELAY_UP,
	KHTTPS_RELAY_DOWN,
};
#define KHTTPS_RELAY_BOTH	(BIT(KHTTPS_RELAY_UP) | BIT(KHTTPS_RELAY_DOWN))

/*
 * Runs are batched per CPU, as NAPI batches packets: a wake-up puts its
 * connection on the ready list of the CPU it ran on, and only a wake-up that
 * finds the list's drain idle queues the drain work.  One work item per
 * connection would not do: an unbound workqueue wakes an idle worker for
 * every item queued, even while a running worker would take it next, so
 * each relayed request cost several worker wake-ups and context switches.
 *
 * A drain takes at most KHTTPS_DRAIN_BATCHES batches, then queues itself
 * again: a run of it stays bounded however busy its CPU's connections are,
 * so a namespace's teardown, which waits for the runs queued before it
 * (khttps_relay_flush), does not wait on another namespace's traffic.
 */
#define KHTTPS_DRAIN_BATCHES	8

struct khttps_relay_cpu {
	struct llist_head ready;	/* connections whose run is due */
	unsigned long busy;		/* bit 0: the drain is queued or running */
	struct work_struct drain;
};

static DEFINE_PER_CPU(struct khttps_relay_cpu, khttps_relay_cpus);

/*
 * Have @kc's relay run soon: once, however often it is kicked before the
 * run (KHTTPS_CF_RELAY_RUN); a kick during the run makes it go round again.
 * Context: any; @kc must be alive (the caller holds a reference, or a
 * wait-queue entry that closing removes first).
 */
static void khttps_relay_kick(struct khttps_conn *kc)
{
	struct khttps_relay_cpu *rc;

	if (test_and_set_bit(KHTTPS_CF_RELAY_RUN, &kc->kc_flags))
		return;
	khttps_conn_get(kc);
	/* Any CPU's list will do: the list is lock-free for many producers. */
	rc = raw_cpu_ptr(&khttps_relay_cpus);
	llist_add(&kc->kc_ready, &rc->ready);
	if (!test_and_set_bit(0, &rc->busy))
		queue_work(khttps_wq, &rc->drain);
}

static void khttps_relay_run(struct khttps_conn *kc);

/* Run every connection on one CPU's ready list, until it stays empty. */
static void khttps_relay_drain(struct work_struct *work)
{
	struct khttps_relay_cpu *rc = container_of(work, struct khttps_relay_cpu, drain);
	struct khttps_conn *kc, *next;
	struct llist_node *batch;
	int n = 0;

	for (;;) {
		batch = llist_del_all(&rc->ready);
		if (!batch) {
			/* A kick that saw busy set added before this check. */
			clear_bit(0, &rc->busy);
			smp_mb__after_atomic();
			if (llist_empty(&rc->ready) || test_and_set_bit(0, &rc->busy))
				return;
			continue;
		}
		/* In the order kicked; a run may put its connection on a list again. */
		llist_for_each_entry_safe(kc, next, llist_reverse_order(batch), kc_ready) {
			khttps_relay_run(kc);
			cond_resched();
		}
		if (++n == KHTTPS_DRAIN_BATCHES && !llist_empty(&rc->ready)) {
			/* Still busy: the next run takes the rest. */
			queue_work(khttps_wq, &rc->drain);
			return;
		}
	}
}

/**
 * khttps_relay_flush() - wait for the relay runs already kicked
 *
 * After flush_workqueue(): a drain that reached its budget meanwhile queued
 * itself again with kicks from before the flush still on its list.
 *
 * Context: process; may sleep.
 */
void khttps_relay_flush(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		flush_work(&per_cpu_ptr(&khttps_relay_cpus, cpu)->drain);
}

/**
 * khttps_relay_init() - set up the per-CPU ready lists
 *
 * Context: module init, before any connection.
 */
void khttps_relay_init(void)
{
	struct khttps_relay_cpu *rc;
	int cpu;

	for_each_possible_cpu(cpu) {
		rc = per_cpu_ptr(&khttps_relay_cpus, cpu);
		init_llist_head(&rc->ready);
		INIT_WORK(&rc->drain, khttps_relay_drain);
	}
}

static unsigned long khttps_relay_events(const struct khttps_relay *r,
					 const struct wait_queue_entry *wq_entry, void *key)
{
	__poll_t mask = key_to_poll(key);
	unsigned long in, out;

	/* No key (a state change: connect done, FIN), or an error: both ways. */
	if (!key || (mask & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)))
		return KHTTPS_RELAY_BOTH;
	in = wq_entry == &r->cwait ? BIT(KHTTPS_RELAY_UP) : BIT(KHTTPS_RELAY_DOWN);
	out = KHTTPS_RELAY_BOTH & ~in;
	return (mask & EPOLLIN ? in : 0) | (mask & EPOLLOUT ? out : 0);
}

static int khttps_relay_wake(struct wait_queue_entry *wq_entry, unsigned int mode, int sync,
			     void *key)
{
	struct khttps_conn *kc = wq_entry->private;
	unsigned long ev = khttps_relay_events(kc->kc_relay, wq_entry, key);

	if (!ev)
		return 0;
	/* What woke us (the data queued) is seen by whoever sees the event. */
	smp_mb__before_atomic();
	atomic_long_or(ev, &kc->kc_relay->events);
	/*
	 * The entries are removed (khttps_relay_detach) before the table's
	 * reference goes, so the connection is alive here.
	 */
	khttps_relay_kick(kc);
	return 0;
}

static int khttps_pipe_alloc(struct khttps_pipe *p)
{
	int i;

	for (i = 0; i < KHTTPS_PIPE_PAGES; i++) {
		p->pg[i] = alloc_page(GFP_KERNEL);
		if (!p->pg[i])
			return -ENOMEM;
	}
	return 0;
}

static void khttps_pipe_free(struct khttps_pipe *p)
{
	int i;

	for (i = 0; i < KHTTPS_PIPE_PAGES; i++)
		if (p->pg[i])
			put_page(p->pg[i]);
}

/* Make every page ours alone again before it is written; 0 or -ENOMEM. */
static int khttps_pipe_reclaim(struct khttps_pipe *p)
{
	struct page *pg;
	int i;

	for (i = 0; i < KHTTPS_PIPE_PAGES; i++) {
		if (page_count(p->pg[i]) == 1)
			continue;
		pg = alloc_page(GFP_KERNEL);
		if (!pg)
			return -ENOMEM;
		put_page(p->pg[i]);
		p->pg[i] = pg;
	}
	return 0;
}

static void khttps_pipe_iter(struct khttps_pipe *p, struct bio_vec *bv, struct iov_iter *it,
			     unsigned int dir, unsigned int from, unsigned int to)
{
	int i;

	for (i = 0; i < KHTTPS_PIPE_PAGES; i++)
		bvec_set_page(&bv[i], p->pg[i], PAGE_SIZE, 0);
	iov_iter_bvec(it, dir, bv, KHTTPS_PIPE_PAGES, to);
	iov_iter_advance(it, from);
}

/* Send what the pipe holds; bytes sent, or a negative errno (-EAGAIN: full). */
static int khttps_pipe_send(struct khttps_pipe *p, struct socket *sock)
{
	struct bio_vec bv[KHTTPS_PIPE_PAGES];
	struct msghdr msg = {
		.msg_flags = KHTTPS_MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	int n;

	khttps_pipe_iter(p, bv, &msg.msg_iter, ITER_SOURCE, p->off, p->len);
	n = sock_sendmsg(sock, &msg);
	if (n > 0) {
		p->off += n;
		if (p->off == p->len)
			p->off = p->len = 0;
	}
	return n;
}

/*
 * Would a read find nothing (no data, no end, no error)?  Seen without the
 * socket lock, as poll sees it; for kTLS, sk_is_readable() says whether a
 * whole record is there.  Saves the locked read that would say -EAGAIN.
 */
static bool khttps_rx_idle(struct sock *sk)
{
	return skb_queue_empty_lockless(&sk->sk_receive_queue) && !sk_is_readable(sk) &&
	       !READ_ONCE(sk->sk_err) && !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       READ_ONCE(sk->sk_state) != TCP_CLOSE;
}

/*
 * Receive into an empty pipe.  On the kTLS side a control buffer makes kTLS
 * return one record type per call and say which (*type); without one, a
 * non-data record would be an EIO that stays queued.
 */
static int khttps_pipe_recv(struct khttps_pipe *p, struct socket *sock, u8 *type)
{
	struct bio_vec bv[KHTTPS_PIPE_PAGES];
	union {
		struct cmsghdr hdr;
		u8 buf[CMSG_SPACE(sizeof(u8))];
	} cbuf = {};
	struct msghdr msg = {};
	int n;

	if (khttps_rx_idle(sock->sk))
		return -EAGAIN;
	n = khttps_pipe_reclaim(p);
	if (n)
		return n;
	khttps_pipe_iter(p, bv, &msg.msg_iter, ITER_DEST, 0, KHTTPS_PIPE_PAGES * PAGE_SIZE);
	if (type) {
		msg.msg_control = &cbuf;
		msg.msg_controllen = sizeof(cbuf);
		*type = TLS_CT_APPDATA;
	}
	n = sock_recvmsg(sock, &msg, MSG_DONTWAIT);
	/* 0 is the end, or a control record with no body (the type says). */
	if (n >= 0) {
		p->len = n;
		if (type && msg.msg_controllen < sizeof(cbuf) &&
		    cbuf.hdr.cmsg_level == SOL_TLS && cbuf.hdr.cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *(u8 *)CMSG_DATA(&cbuf.hdr);
	}
	return n;
}

/* The first bytes of the pipe (a control record's body). */
static void khttps_pipe_peek(struct khttps_pipe *p, u8 *out, unsigned int len)
{
	memcpy_from_page(out, p->pg[0], 0, min(len, p->len));
}

/* Add @len bytes of @skb from @off, copied into our own pages; bytes added. */
static unsigned int khttps_splice_copy(struct khttps_splice *s, const struct sk_buff *skb,
				       unsigned int off, unsigned int len)
{
	unsigned int done = 0, pg, in, n;
	struct bio_vec *last;
	bool grow;

	while (done < len) {
		pg = s->copied / PAGE_SIZE;
		in = s->copied % PAGE_SIZE;
		if (pg >= KHTTPS_PIPE_PAGES)
			break;
		n = min_t(unsigned int, len - done, PAGE_SIZE - in);
		last = s->nr ? &s->bv[s->nr - 1] : NULL;
		/* Right after the last copy: that segment grows. */
		grow = last && last->bv_page == s->copy.pg[pg] && last->bv_offset + last->bv_len == in;
		if (!grow && s->nr == KHTTPS_SPLICE_SEGS)
			break;
		/* Cannot fail: tcp_read_sock() gave this range. */
		if (skb_copy_bits(skb, off + done, page_address(s->copy.pg[pg]) + in, n))
			break;
		if (grow)
			last->bv_len += n;
		else
			bvec_set_page(&s->bv[s->nr++], s->copy.pg[pg], n, in);
		s->copied += n;
		done += n;
	}
	return done;
}

/*
 * The contiguous piece of @skb at @pos: its length, and in *page and *poff
 * the page fragment kTLS may take, or NULL when it must be copied (the
 * linear head, a frag_list, a page that is not sendpage_ok).
 */
static unsigned int khttps_skb_piece(const struct sk_buff *skb, unsigned int pos,
				     struct page **page, unsigned int *poff)
{
	unsigned int start = skb_headlen(skb), fsz;
	const skb_frag_t *f;
	int i;

	*page = NULL;
	if (pos < start)
		return start - pos;
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		f = &skb_shinfo(skb)->frags[i];
		fsz = skb_frag_size(f);
		if (pos < start + fsz) {
			if (skb_frag_page(f) && sendpage_ok(skb_frag_page(f))) {
				*page = skb_frag_page(f);
				*poff = skb_frag_off(f) + pos - start;
			}
			return start + fsz - pos;
		}
		start += fsz;
	}
	return skb->len - pos;
}

/*
 * tcp_read_sock() actor: reference the skb's page fragments and copy the
 * rest, until the budget (desc->count) or the segments run out.
 * Context: the backend socket locked; must not sleep.
 */
static int khttps_splice_actor(read_descriptor_t *desc, struct sk_buff *skb,
			       unsigned int offset, size_t len)
{
	struct khttps_splice *s = desc->arg.data;
	unsigned int want = min_t(size_t, len, desc->count);
	unsigned int done = 0, n, poff;
	struct page *page;

	while (done < want) {
		n = min(want - done, khttps_skb_piece(skb, offset + done, &page, &poff));
		if (page) {
			if (s->nr == KHTTPS_SPLICE_SEGS)
				break;
			get_page(page);
			__set_bit(s->nr, &s->held);
			bvec_set_page(&s->bv[s->nr++], page, n, poff);
		} else {
			n = khttps_splice_copy(s, skb, offset + done, n);
			if (!n)
				break;
		}
		s->len += n;
		done += n;
	}
	desc->count -= done;
	return done;
}

/* Drop our references on the pages sent; the segments are free again. */
static void khttps_splice_reset(struct khttps_splice *s)
{
	unsigned int i;

	for_each_set_bit(i, &s->held, KHTTPS_SPLICE_SEGS)
		put_page(s->bv[i].bv_page);
	s->held = 0;
	s->nr = s->len = s->off = s->copied = 0;
}

/*
 * Take what the backend socket holds (up to one record's worth) without
 * copying it.  Return: bytes taken, 0 at the backend's clean end, -EAGAIN
 * when there is nothing now, or the socket's error.
 */
static int khttps_splice_fill(struct khttps_splice *s, struct socket *sock)
{
	read_descriptor_t desc = {
		.arg.data = s,
		.count = KHTTPS_PIPE_PAGES * PAGE_SIZE,
	};
	struct sock *sk = sock->sk;
	int n;

	if (khttps_rx_idle(sk))
		return -EAGAIN;
	/* kTLS may still reference the copy pages of the last batch. */
	n = khttps_pipe_reclaim(&s->copy);
	if (n)
		return n;
	lock_sock(sk);
	n = tcp_read_sock(sk, &desc, khttps_splice_actor);
	if (n == 0) {
		/* Nothing was queued: an error, the backend's FIN, or not yet. */
		n = sock_error(sk);
		if (!n && !(sk->sk_shutdown & RCV_SHUTDOWN) && sk->sk_state != TCP_CLOSE)
			n = -EAGAIN;
	}
	release_sock(sk);
	return n;
}

/* Send what @s holds to the client; bytes sent, or a negative errno (-EAGAIN: full). */
static int khttps_splice_send(struct khttps_splice *s, struct socket *sock)
{
	struct msghdr msg = {
		.msg_flags = KHTTPS_MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	int n;

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, s->bv, s->nr, s->len);
	iov_iter_advance(&msg.msg_iter, s->off);
	n = sock_sendmsg(sock, &msg);
	if (n > 0) {
		s->off += n;
		if (s->off == s->len)
			khttps_splice_reset(s);
	}
	return n;
}

static void khttps_relay_end(struct khttps_conn *kc, struct khttps_end end)
{
	struct khttps_net *kn = kc->kc_kn;

	khttps_tls_end(kc, end);
	mutex_lock(&kn->kn_lock);
	khttps_conn_close(kc, 0);
	mutex_unlock(&kn->kn_lock);
}

/*
 * The backend sent everything and ended: close_notify to the client (when
 * the close_notify policy is on), then wait (CLOSING) until kTLS gave its
 * last records to TCP, which delivers them after the close; closing
 * earlier would drop them.
 */
static void khttps_relay_finish(struct khttps_conn *kc)
{
	struct khttps_relay *r = kc->kc_relay;
	struct khttps_net *kn = kc->kc_kn;

	if (kc->kc_state == KHTTPS_CONN_ESTABLISHED) {
		if (test_bit(KHTTPS_CF_CLOSE_NOTIFY, &kc->kc_flags) &&
		    khttps_tls_send_alert(kc->kc_sock, TLS_ALERT_WARNING,
					  TLS_ALERT_CLOSE_NOTIFY) > 0) {
			set_bit(KHTTPS_CF_TX_CLOSED, &kc->kc_flags);
			khttps_stat_inc(kn, kc->kc_binding, KHTTPS_STAT_CLOSE_NOTIFY_OUT);
		}
		r->linger_end = jiffies + msecs_to_jiffies(KHTTPS_LINGER_MS);
	}
	mutex_lock(&kn->kn_lock);
	if (kc->kc_state == KHTTPS_CONN_ESTABLISHED || kc->kc_state == KHTTPS_CONN_CLOSING) {
		if (khttps_tls_tx_pending(kc->kc_sock) && time_before(jiffies, r->linger_end)) {
			/* Under kn_lock: a close cannot slip in before the work is queued. */
			kc->kc_state = KHTTPS_CONN_CLOSING;
			khttps_conn_get(kc);
			if (!queue_delayed_work(khttps_wq, &kc->kc_linger,
						msecs_to_jiffies(KHTTPS_LINGER_POLL_MS)))
				refcount_dec(&kc->kc_ref);
		} else {
			khttps_conn_close(kc, 0);
		}
	}
	mutex_unlock(&kn->kn_lock);
}

/* Send (what is left of) the PROXY header; bytes sent, or a negative errno. */
static int khttps_relay_send_pp2(struct khttps_relay *r)
{
	struct kvec iov = {
		.iov_base = r->pp2 + r->pp2_off,
		.iov_len = r->pp2_len - r->pp2_off,
	};
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int n;

	n = kernel_sendmsg(r->backend, &msg, &iov, 1, iov.iov_len);
	if (n > 0) {
		r->pp2_off += n;
		if (r->pp2_off == r->pp2_len) {
			kfree(r->pp2);
			r->pp2 = NULL;
		}
	}
	return n;
}

/* Client to backend.  Return: >0 progress, 0 nothing to do now, <0 end (see *end). */
static int khttps_relay_up(struct khttps_conn *kc, struct khttps_end *end)
{
	struct khttps_relay *r = kc->kc_relay;
	struct khttps_pipe *p = &r->up;
	int progress = 0, n;
	u8 type, body[2];

	for (;;) {
		if (r->pp2) {
			if (!r->connected)
				return progress;
			n = khttps_relay_send_pp2(r);
			if (n == -EAGAIN)
				return progress;
			if (n < 0) {
				*end = (struct khttps_end){ KHTTPS_STAT_BACKEND_ERRORS,
							    TLS_ALERT_INTERNAL_ERROR };
				return n;
			}
			progress = 1;
			continue;
		}
		if (p->len) {
			if (!r->connected)
				return progress;
			n = khttps_pipe_send(p, r->backend);
			if (n == -EAGAIN)
				return progress;
			if (n < 0) {
				*end = (struct khttps_end){ KHTTPS_STAT_BACKEND_ERRORS,
							    TLS_ALERT_INTERNAL_ERROR };
				return n;
			}
			progress = 1;
			continue;
		}
		if (p->eof)
			return progress;
		n = khttps_pipe_recv(p, kc->kc_sock, &type);
		if (n == -EAGAIN)
			return progress;
		if (n < 0) {
			*end = khttps_tls_rx_error(n);
			return n;
		}
		progress = 1;
		if (n == 0 && type == TLS_CT_APPDATA) {
			/* TCP FIN without close_notify: pass the EOF on all the same. */
			khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_TRUNCATED);
			set_bit(KHTTPS_CF_TRUNCATED, &kc->kc_flags);
			p->eof = true;
			continue;
		}
		if (type == TLS_CT_APPDATA) {
			khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_IN, n);
			continue;
		}
		khttps_pipe_peek(p, body, sizeof(body));
		n = khttps_tls_control(kc, type, body, p->len, end);
		p->len = 0;
		if (n < 0)
			return n;
		if (n == 1)
			p->eof = true;
	}
}

/* Backend to client.  Return: >0 progress, 0 nothing to do now, <0 end (see *end). */
static int khttps_relay_down(struct khttps_conn *kc, struct khttps_end *end)
{
	struct khttps_relay *r = kc->kc_relay;
	struct khttps_splice *p = &r->down;
	int progress = 0, n;

	if (!r->connected)
		return 0;
	for (;;) {
		if (p->len) {
			n = khttps_splice_send(p, kc->kc_sock);
			if (n == -EAGAIN)
				return progress;
			if (n < 0) {
				*end = (struct khttps_end){ KHTTPS_STAT_RESETS, -1 };
				return n;
			}
			khttps_conn_bytes(kc, KHTTPS_STAT_BYTES_OUT, n);
			progress = 1;
			continue;
		}
		if (p->eof)
			return progress;
		n = khttps_splice_fill(p, r->backend);
		if (n == -EAGAIN)
			return progress;
		if (n < 0) {
			*end = (struct khttps_end){ KHTTPS_STAT_BACKEND_ERRORS,
						    TLS_ALERT_INTERNAL_ERROR };
			return n;
		}
		progress = 1;
		if (n == 0)
			p->eof = true;
	}
}

/* Has the backend's connect finished?  0 yes, -EINPROGRESS not yet, or why it failed. */
static int khttps_relay_connected(struct khttps_relay *r)
{
	struct sock *sk = r->backend->sk;

	if (r->connected)
		return 0;
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		r->connected = true;
		return 0;
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		return -EINPROGRESS;
	default:
		return sock_error(sk) ?: -ECONNREFUSED;
	}
}

/*
 * Move data the ways woken until neither can go on: only the directions the
 * wake-ups named (khttps_relay_events).  Context: process (the drain);
 * takes kn_lock only to close.
 */
static void khttps_relay_move(struct khttps_conn *kc)
{
	struct khttps_relay *r = kc->kc_relay;
	struct khttps_end end = { 0, -1 };
	int up, down, err;
	bool moved = false;
	unsigned long ev;

	switch (READ_ONCE(kc->kc_state)) {
	case KHTTPS_CONN_CLOSING:
		khttps_relay_finish(kc);
		return;
	case KHTTPS_CONN_ESTABLISHED:
		break;
	default:
		return;
	}
	err = khttps_relay_connected(r);
	if (err && err != -EINPROGRESS) {
		khttps_relay_end(kc, (struct khttps_end){ KHTTPS_STAT_BACKEND_ERRORS,
							  TLS_ALERT_INTERNAL_ERROR });
		return;
	}
	/* Until no wake-up came in meanwhile: each direction runs until it would block. */
	while ((ev = atomic_long_xchg(&r->events, 0))) {
		up = ev & BIT(KHTTPS_RELAY_UP) ? khttps_relay_up(kc, &end) : 0;
		down = up < 0 || !(ev & BIT(KHTTPS_RELAY_DOWN)) ? 0 : khttps_relay_down(kc, &end);
		if (up < 0 || down < 0) {
			khttps_relay_end(kc, end);
			return;
		}
		if (r->up.eof && !r->up.len && !r->pp2 && r->connected && !r->backend_shut) {
			kernel_sock_shutdown(r->backend, SHUT_WR);
			r->backend_shut = true;
		}
		if (r->down.eof && !r->down.len) {
			khttps_relay_finish(kc);
			return;
		}
		moved |= up > 0 || down > 0;
		cond_resched();
	}
	if (moved)
		khttps_tls_count_records(kc);
}

/*
 * One kick's run, with the reference the kick took.  Only one runs at a
 * time: KHTTPS_CF_RELAY_RUN stays set until the run ends, so a kick
 * meanwhile only leaves its events, and those make the run go round again.
 */
static void khttps_relay_run(struct khttps_conn *kc)
{
	do {
		khttps_relay_move(kc);
		clear_bit(KHTTPS_CF_RELAY_RUN, &kc->kc_flags);
		smp_mb__after_atomic();
	} while (READ_ONCE(kc->kc_state) == KHTTPS_CONN_ESTABLISHED &&
		 atomic_long_read(&kc->kc_relay->events) &&
		 !test_and_set_bit(KHTTPS_CF_RELAY_RUN, &kc->kc_flags));
	khttps_conn_put(kc);
}

/**
 * khttps_relay_linger() - a closing connection's poll: is all sent?
 * @work: &khttps_conn.kc_linger
 *
 * Context: process (khttps_wq); holds the reference its queuer took.
 */
void khttps_relay_linger(struct work_struct *work)
{
	struct khttps_conn *kc = container_of(to_delayed_work(work), struct khttps_conn, kc_linger);

	khttps_relay_kick(kc);
	khttps_conn_put(kc);
}

static int khttps_relay_setup(struct khttps_conn *kc);

static void khttps_relay_watch(struct khttps_conn *kc, struct socket *sock,
			       struct wait_queue_entry *entry, bool *on)
{
	init_waitqueue_func_entry(entry, khttps_relay_wake);
	entry->private = kc;
	add_wait_queue(sk_sleep(sock->sk), entry);
	*on = true;
}

/**
 * khttps_relay_start() - connect to the binding's backend and start relaying
 * @kc: a connection just established (kTLS installed), in forward mode
 *
 * Return: 0, or a negative errno: the connection got an internal_error
 * alert and the caller closes it.
 * Context: process; kn_lock held.
 */
int khttps_relay_start(struct khttps_conn *kc)
{
	int err = khttps_relay_setup(kc);

	if (err && khttps_tls_send_alert(kc->kc_sock, TLS_ALERT_FATAL,
					 TLS_ALERT_INTERNAL_ERROR) > 0)
		khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_ALERTS_OUT);
	return err;
}

static int khttps_relay_setup(struct khttps_conn *kc)
{
	const struct sockaddr_storage *addr = &kc->kc_binding->kb_backend;
	struct khttps_relay *r;
	int err;

	lockdep_assert_held(&kc->kc_kn->kn_lock);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	kc->kc_relay = r;
	err = khttps_pipe_alloc(&r->up);
	if (!err)
		err = khttps_pipe_alloc(&r->down.copy);
	if (!err && kc->kc_binding->kb_proxy == KHTTPS_PROXY_V2) {
		r->pp2 = khttps_proxy_v2(kc, &r->pp2_len);
		if (IS_ERR(r->pp2)) {
			err = PTR_ERR(r->pp2);
			r->pp2 = NULL;
		}
	}
	if (!err)
		err = sock_create_kern(kc->kc_kn->kn_net, addr->ss_family, SOCK_STREAM,
				       IPPROTO_TCP, &r->backend);
	if (err)
		return err;
	/* Each send is what the client's record held: no need to wait for more. */
	tcp_sock_set_nodelay(r->backend->sk);
	err = kernel_connect(r->backend, (struct sockaddr *)addr,
			     addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							   sizeof(struct sockaddr_in),
			     O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		return err;
	/*
	 * Only now: a client record arriving earlier would run the work
	 * before the connect began and see a closed backend socket.
	 */
	khttps_relay_watch(kc, kc->kc_sock, &r->cwait, &r->cwait_on);
	khttps_relay_watch(kc, r->backend, &r->bwait, &r->bwait_on);
	/*
	 * Records that arrived with the handshake's last flight are already
	 * queued, and the connect may have finished before the watch began.
	 */
	atomic_long_or(KHTTPS_RELAY_BOTH, &r->events);
	khttps_relay_kick(kc);
	return 0;
}

/**
 * khttps_relay_detach() - stop all wake-ups of a closing connection
 * @kc: the connection, being closed
 *
 * Context: process; kn_lock held; the table still holds its reference.
 */
void khttps_relay_detach(struct khttps_conn *kc)
{
	struct khttps_relay *r = kc->kc_relay;

	if (!r)
		return;
	if (r->cwait_on)
		remove_wait_queue(sk_sleep(kc->kc_sock->sk), &r->cwait);
	if (r->bwait_on)
		remove_wait_queue(sk_sleep(r->backend->sk), &r->bwait);
	r->cwait_on = r->bwait_on = false;
	/* A linger poll still waiting on its timer. */
	if (cancel_delayed_work(&kc->kc_linger))
		refcount_dec(&kc->kc_ref);
	if (r->backend)
		kernel_sock_shutdown(r->backend, SHUT_RDWR);
}

/**
 * khttps_relay_free() - release what the relay owns
 * @kc: the connection, at its last reference
 *
 * Context: process.
 */
void khttps_relay_free(struct khttps_conn *kc)
{
	struct khttps_relay *r = kc->kc_relay;

	if (!r)
		return;
	if (r->backend)
		sock_release(r->backend);
	khttps_pipe_free(&r->up);
	khttps_splice_reset(&r->down);
	khttps_pipe_free(&r->down.copy);
	kfree(r->pp2);
	kfree(r);
	kc->kc_relay = NULL;
}
