// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: the connection table, the pending-handshake list, handshake
 * timeouts and counters.
 *
 * A connection holds one reference for the table, one while its timeout
 * work is queued and one for each queued run of its ClientHello check,
 * relay or linger poll; it is freed,
 * and its sockets closed, at the last put.  Once an application accepted it
 * from a queue (KHTTPS_CF_APP), the socket is the application's and holds a
 * reference of its own until it is released (appsock.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tls.h>

#include "khttps.h"

/**
 * khttps_stat_inc() - count an event for a namespace and, if given, a binding
 * @kn: the namespace
 * @kb: the binding, or NULL
 * @stat: &enum khttps_stat
 *
 * Context: any.
 */
void khttps_stat_inc(struct khttps_net *kn, struct khttps_binding *kb, int stat)
{
	atomic64_inc(&kn->kn_stats.st[stat]);
	if (kb)
		atomic64_inc(&kb->kb_stats.st[stat]);
}

/**
 * khttps_stat_dec() - lower a gauge (%KHTTPS_STAT_ACTIVE, %KHTTPS_STAT_PENDING)
 * @kn: the namespace
 * @kb: the binding, or NULL
 * @stat: &enum khttps_stat
 *
 * Context: any.
 */
void khttps_stat_dec(struct khttps_net *kn, struct khttps_binding *kb, int stat)
{
	atomic64_dec(&kn->kn_stats.st[stat]);
	if (kb)
		atomic64_dec(&kb->kb_stats.st[stat]);
}

/**
 * khttps_stat_add() - add to a counter for a namespace and, if given, a binding
 * @kn: the namespace
 * @kb: the binding, or NULL
 * @stat: &enum khttps_stat
 * @n: how much
 *
 * Context: any.
 */
void khttps_stat_add(struct khttps_net *kn, struct khttps_binding *kb, int stat, u64 n)
{
	atomic64_add(n, &kn->kn_stats.st[stat]);
	if (kb)
		atomic64_add(n, &kb->kb_stats.st[stat]);
}

/**
 * khttps_conn_bytes() - count plaintext bytes of a connection
 * @kc: the connection
 * @stat: %KHTTPS_STAT_BYTES_IN or %KHTTPS_STAT_BYTES_OUT
 * @n: how many
 *
 * For the connection itself (khttpsctl conns), its binding and namespace.
 *
 * Context: any.
 */
void khttps_conn_bytes(struct khttps_conn *kc, int stat, u64 n)
{
	atomic64_add(n, stat == KHTTPS_STAT_BYTES_IN ? &kc->kc_bytes_in : &kc->kc_bytes_out);
	WRITE_ONCE(kc->kc_last, jiffies);
	khttps_stat_add(kc->kc_kn, kc->kc_binding, stat, n);
}

/**
 * khttps_policy_max_conns() - a binding's own connection limit
 * @policy: a checked %KHTTPS_A_POLICY, or NULL
 *
 * Return: its %KHTTPS_POLICY_A_MAX_CONNS, or 0 (no limit of its own).
 */
u32 khttps_policy_max_conns(const struct nlattr *policy)
{
	const struct nlattr *a = policy ? nla_find_nested(policy, KHTTPS_POLICY_A_MAX_CONNS) : NULL;

	return a ? nla_get_u32(a) : 0;
}

/**
 * khttps_binding_full() - whether a binding has its most connections open
 * @kb: the binding
 *
 * Context: kn_lock held (kb_max_conns changes under it).
 */
bool khttps_binding_full(const struct khttps_binding *kb)
{
	return kb->kb_max_conns &&
	       atomic64_read(&kb->kb_stats.st[KHTTPS_STAT_ACTIVE]) >= kb->kb_max_conns;
}

/*
 * Connections come from a cache of their own: /proc/slabinfo counts them
 * exactly (tests compare it across fault rounds), and a connection still
 * allocated at unload makes kmem_cache_destroy() complain.
 */
static struct kmem_cache *khttps_conn_cache;

int __init khttps_conn_cache_init(void)
{
	khttps_conn_cache = KMEM_CACHE(khttps_conn, SLAB_NO_MERGE);
	return khttps_conn_cache ? 0 : -ENOMEM;
}

void khttps_conn_cache_exit(void)
{
	kmem_cache_destroy(khttps_conn_cache);
}

static void khttps_conn_free(struct khttps_conn *kc)
{
	khttps_relay_free(kc);
	kfree(kc->kc_sni);
	kfree(kc->kc_alpn);
	kfree(kc->kc_client);
	/* Once the socket has a file, the file owns it. */
	if (kc->kc_file)
		fput(kc->kc_file);
	else if (kc->kc_sock)
		sock_release(kc->kc_sock);
	khttps_binding_put(kc->kc_binding);
	kmem_cache_free(khttps_conn_cache, kc);
}

/**
 * khttps_conn_get() - take a reference on a connection
 * @kc: a connection the caller already holds a reference on
 *
 * Context: any.
 */
void khttps_conn_get(struct khttps_conn *kc)
{
	refcount_inc(&kc->kc_ref);
}

/**
 * khttps_conn_put() - drop a reference; the last one frees the connection
 * @kc: the connection
 *
 * Context: process (the last put closes sockets).
 */
void khttps_conn_put(struct khttps_conn *kc)
{
	if (refcount_dec_and_test(&kc->kc_ref))
		khttps_conn_free(kc);
}

static void khttps_conn_timeout(struct work_struct *work)
{
	struct khttps_conn *kc = container_of(to_delayed_work(work), struct khttps_conn,
					      kc_timeout);
	struct khttps_net *kn = kc->kc_kn;

	mutex_lock(&kn->kn_lock);
	if (khttps_conn_in_handshake(kc))
		khttps_conn_close(kc, KHTTPS_STAT_HS_TIMEOUT);
	mutex_unlock(&kn->kn_lock);
	khttps_conn_put(kc);	/* the timeout's reference */
}

/**
 * khttps_conn_set_binding() - the handshake chose @kc's binding
 * @kc: a connection in its handshake, with no binding yet
 * @kb: the binding; a reference is taken
 *
 * The namespace counted the connection at accept; now the binding does.
 *
 * Context: kn_lock held.
 */
void khttps_conn_set_binding(struct khttps_conn *kc, struct khttps_binding *kb)
{
	lockdep_assert_held(&kc->kc_kn->kn_lock);
	refcount_inc(&kb->kb_ref);
	kc->kc_binding = kb;
	atomic64_inc(&kb->kb_stats.st[KHTTPS_STAT_ACCEPTED]);
	atomic64_inc(&kb->kb_stats.st[KHTTPS_STAT_ACTIVE]);
	atomic64_inc(&kb->kb_stats.st[KHTTPS_STAT_PENDING]);
}

/*
 * The ClientHello gate.  A worker runs one handshake at a time, so a client
 * that connects and sends nothing (a browser's preconnect, a scanner) or
 * dribbles its ClientHello a byte at a time (slowloris) would hold a worker
 * until handshake_timeout_ms.  Until its first record is all in, a new
 * connection waits here instead (HELLO), counted as pending and under the
 * same timeout, and costs no worker: an accept filter.
 */
static bool khttps_conn_hello_in(struct socket *sock)
{
	struct sock *sk = sock->sk;
	u8 hdr[TLS_HEADER_SIZE];
	struct kvec iov = { .iov_base = hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = {};
	unsigned int len;
	int n;

	n = kernel_recvmsg(sock, &msg, &iov, 1, sizeof(hdr), MSG_PEEK | MSG_DONTWAIT);
	/* The end, or an error: the worker reads it and reports it. */
	if (n == 0 || (n < 0 && n != -EAGAIN) || READ_ONCE(sk->sk_err) ||
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN))
		return true;
	if (n < (int)sizeof(hdr))
		return false;
	len = get_unaligned_be16(hdr + 3);
	/* Not a handshake record, or too long for one: the worker's alert. */
	if (hdr[0] != TLS_CT_HANDSHAKE || len > TLS_MAX_PAYLOAD_SIZE)
		return true;
	return tcp_inq(sk) >= TLS_HEADER_SIZE + len;
}

static int khttps_conn_hello_wake(struct wait_queue_entry *wq_entry, unsigned int mode,
				  int sync, void *key)
{
	struct khttps_conn *kc = wq_entry->private;

	/* The entry goes before the table's reference (khttps_conn_close). */
	khttps_conn_get(kc);
	if (!queue_work(khttps_wq, &kc->kc_hello_work))
		refcount_dec(&kc->kc_ref);
	return 0;
}

/* Context: kn_lock held. */
static void khttps_conn_hello_unwatch(struct khttps_conn *kc)
{
	if (kc->kc_hello_wait.private) {
		remove_wait_queue(sk_sleep(kc->kc_sock->sk), &kc->kc_hello_wait);
		kc->kc_hello_wait.private = NULL;
	}
}

/* The first record is in: give the connection to the workers. */
static void khttps_conn_hello_work(struct work_struct *work)
{
	struct khttps_conn *kc = container_of(work, struct khttps_conn, kc_hello_work);
	struct khttps_net *kn = kc->kc_kn;
	bool in = khttps_conn_hello_in(kc->kc_sock), wake;

	mutex_lock(&kn->kn_lock);
	if (in && kc->kc_state == KHTTPS_CONN_HELLO) {
		khttps_conn_hello_unwatch(kc);
		kc->kc_state = KHTTPS_CONN_WAITING;
		/*
		 * Workers take connections until none waits, so only the first
		 * of a burst needs a READY: one per connection would flood them.
		 */
		wake = list_empty(&kn->kn_pending);
		list_add_tail(&kc->kc_pending, &kn->kn_pending);
		if (wake)
			khttps_netlink_notify_ready(kn);
	}
	mutex_unlock(&kn->kn_lock);
	khttps_conn_put(kc);
}

/**
 * khttps_conn_new() - track a freshly accepted connection until a worker takes it
 * @kl: the listener that accepted it
 * @sock: the accepted socket; consumed (kept or released)
 *
 * Refuses (closes and counts) the connection when the namespace is at
 * max_connections, its binding at maxconns, its source address at
 * max_conns_per_source, the namespace at max_pending_handshakes or its
 * queue full.  Otherwise it waits for its ClientHello, then for a worker.
 *
 * Context: process; takes kn_lock.
 */
void khttps_conn_new(struct khttps_listener *kl, struct socket *sock)
{
	struct khttps_net *kn = kl->kl_kn;
	struct khttps_binding *kb;
	struct khttps_conn *kc;
	int refuse = 0, err;

	kc = kmem_cache_zalloc(khttps_conn_cache, GFP_KERNEL);
	if (!kc) {
		khttps_stat_inc(kn, NULL, KHTTPS_STAT_ACCEPTED);
		sock_release(sock);
		return;
	}
	refcount_set(&kc->kc_ref, 1);
	kc->kc_kn = kn;
	kc->kc_sock = sock;
	kc->kc_state = KHTTPS_CONN_HELLO;
	INIT_LIST_HEAD(&kc->kc_pending);
	INIT_WORK(&kc->kc_hello_work, khttps_conn_hello_work);
	init_waitqueue_func_entry(&kc->kc_hello_wait, khttps_conn_hello_wake);
	INIT_LIST_HEAD(&kc->kc_qlist);
	INIT_DELAYED_WORK(&kc->kc_timeout, khttps_conn_timeout);
	INIT_DELAYED_WORK(&kc->kc_linger, khttps_relay_linger);
	kc->kc_listen = kl->kl_addr;
	kc->kc_start = ktime_get_boottime_ns();
	if (kernel_getpeername(sock, (struct sockaddr *)&kc->kc_peer) < 0)
		kc->kc_peer.ss_family = AF_UNSPEC;

	mutex_lock(&kn->kn_lock);
	/* Known now when the port has only address bindings; else by SNI. */
	kb = khttps_binding_attach(kn, kl);
	if (kb) {
		refcount_inc(&kb->kb_ref);
		kc->kc_binding = kb;
	}
	khttps_stat_inc(kn, kb, KHTTPS_STAT_ACCEPTED);
	if (kn->kn_dying)
		refuse = -1;
	else if (kn->kn_nconns >= khttps_param(max_connections))
		refuse = KHTTPS_STAT_REFUSED_CONNS;
	else if (kb && khttps_binding_full(kb))
		refuse = KHTTPS_STAT_REFUSED_CONNS;
	else if (!khttps_source_admit(kc))
		refuse = KHTTPS_STAT_REFUSED_SOURCE;
	else if (kn->kn_npending >= khttps_param(max_pending_handshakes))
		refuse = KHTTPS_STAT_REFUSED_PENDING;
	else if (kb && kb->kb_queue && khttps_queue_full(kb))
		refuse = KHTTPS_STAT_QUEUE_FULL;
	if (refuse) {
		khttps_source_release(kc);	/* if a later check refused */
		mutex_unlock(&kn->kn_lock);
		if (refuse > 0) {
			khttps_stat_inc(kn, kb, refuse);
			khttps_netlink_event(kc, refuse);
		}
		khttps_conn_put(kc);
		return;
	}
	kc->kc_id = ++kn->kn_next_id;
	err = xa_insert(&kn->kn_conns, kc->kc_id, kc, GFP_KERNEL);
	if (err) {
		khttps_source_release(kc);
		mutex_unlock(&kn->kn_lock);
		khttps_conn_put(kc);
		return;
	}
	kn->kn_nconns++;
	kn->kn_npending++;
	khttps_stat_inc(kn, kb, KHTTPS_STAT_ACTIVE);
	khttps_stat_inc(kn, kb, KHTTPS_STAT_PENDING);
	refcount_inc(&kc->kc_ref);
	queue_delayed_work(khttps_wq, &kc->kc_timeout,
			   msecs_to_jiffies(khttps_param(handshake_timeout_ms)));
	kc->kc_hello_wait.private = kc;
	add_wait_queue(sk_sleep(sock->sk), &kc->kc_hello_wait);
	refcount_inc(&kc->kc_ref);
	mutex_unlock(&kn->kn_lock);
	/*
	 * What came with the accept, before the watch began: a client sends
	 * its ClientHello as soon as the connection is up, so it is often in
	 * already.  Looked at here rather than in a work item of its own: one
	 * worker hop less before the handshake.  A wake-up's run of the same
	 * work may overlap; the state, under kn_lock, lets only one act.
	 */
	khttps_conn_hello_work(&kc->kc_hello_work);
}

/**
 * khttps_conn_take_pending() - the oldest connection waiting for a worker
 * @kn: the namespace
 *
 * Return: the connection, now in HANDSHAKE state, or NULL.
 * Context: kn_lock held.
 */
struct khttps_conn *khttps_conn_take_pending(struct khttps_net *kn)
{
	struct khttps_conn *kc;

	lockdep_assert_held(&kn->kn_lock);
	kc = list_first_entry_or_null(&kn->kn_pending, struct khttps_conn, kc_pending);
	if (kc) {
		list_del_init(&kc->kc_pending);
		kc->kc_state = KHTTPS_CONN_HANDSHAKE;
	}
	return kc;
}

/**
 * khttps_conn_requeue() - put a connection back at the head of the queue
 * @kc: a connection taken with khttps_conn_take_pending() and not handed out
 *
 * Context: kn_lock held.
 */
void khttps_conn_requeue(struct khttps_conn *kc)
{
	lockdep_assert_held(&kc->kc_kn->kn_lock);
	kc->kc_state = KHTTPS_CONN_WAITING;
	list_add(&kc->kc_pending, &kc->kc_kn->kn_pending);
}

/**
 * khttps_conn_find() - look a connection up by id
 * @kn: the namespace
 * @id: the connection id
 *
 * Return: the connection or NULL; valid while kn_lock is held.
 * Context: kn_lock held.
 */
struct khttps_conn *khttps_conn_find(struct khttps_net *kn, u64 id)
{
	lockdep_assert_held(&kn->kn_lock);
	return xa_load(&kn->kn_conns, id);
}

static void khttps_conn_handshake_over(struct khttps_conn *kc)
{
	struct khttps_net *kn = kc->kc_kn;

	kn->kn_npending--;
	khttps_stat_dec(kn, kc->kc_binding, KHTTPS_STAT_PENDING);
	if (cancel_delayed_work(&kc->kc_timeout))
		khttps_conn_put(kc);
}

/**
 * khttps_conn_established() - the keys are installed: stop the handshake clock
 * @kc: a connection in HANDSHAKE state
 *
 * Context: kn_lock held.
 */
void khttps_conn_established(struct khttps_conn *kc)
{
	lockdep_assert_held(&kc->kc_kn->kn_lock);
	khttps_conn_handshake_over(kc);
	kc->kc_state = KHTTPS_CONN_ESTABLISHED;
	WRITE_ONCE(kc->kc_last, jiffies);
	khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_HS_OK);
	if (test_bit(KHTTPS_CF_RESUMED, &kc->kc_flags))
		khttps_stat_inc(kc->kc_kn, kc->kc_binding, KHTTPS_STAT_HS_RESUMED);
}

/*
 * The close_notify policy: a session stays resumable only if this
 * connection of it ended cleanly: the client's close_notify, or ours first
 * with no truncation and no fatal alert either way.
 */
static void khttps_conn_judge_end(struct khttps_conn *kc)
{
	unsigned long f = READ_ONCE(kc->kc_flags);
	bool clean;

	if (!(f & BIT(KHTTPS_CF_CLOSE_NOTIFY)) || !(f & BIT(KHTTPS_CF_TOKEN)))
		return;
	clean = !(f & (BIT(KHTTPS_CF_FAILED) | BIT(KHTTPS_CF_TRUNCATED))) &&
		(f & (BIT(KHTTPS_CF_RX_EOF) | BIT(KHTTPS_CF_TX_CLOSED)));
	khttps_session_end(kc->kc_kn, kc->kc_token, clean, kc->kc_session_life);
	khttps_stat_inc(kc->kc_kn, kc->kc_binding,
			clean ? KHTTPS_STAT_SESSIONS_CLEAN : KHTTPS_STAT_SESSIONS_UNCLEAN);
}

/**
 * khttps_conn_close() - take a connection out of the table and close it
 * @kc: the connection, in any state but CLOSED
 * @stat: the counter that says why (&enum khttps_stat), or 0
 *
 * A worker may still hold the socket's fd: shutting the socket down makes
 * its handshake fail at once; the socket goes when the last file ref does.
 * An application's socket is left alone: this runs when it is released.
 *
 * Context: kn_lock held; @kc may be freed on return.
 */
void khttps_conn_close(struct khttps_conn *kc, int stat)
{
	struct khttps_net *kn = kc->kc_kn;

	lockdep_assert_held(&kn->kn_lock);
	if (kc->kc_state == KHTTPS_CONN_CLOSED)
		return;
	if (khttps_conn_in_handshake(kc))
		khttps_conn_handshake_over(kc);
	khttps_conn_hello_unwatch(kc);
	list_del_init(&kc->kc_pending);
	khttps_queue_remove(kc);
	if (kc->kc_sock)
		khttps_tls_count_records(kc);
	if (kc->kc_state == KHTTPS_CONN_ESTABLISHED || kc->kc_state == KHTTPS_CONN_CLOSING)
		khttps_conn_judge_end(kc);
	kc->kc_state = KHTTPS_CONN_CLOSED;
	xa_erase(&kn->kn_conns, kc->kc_id);
	kn->kn_nconns--;
	khttps_source_release(kc);
	khttps_stat_dec(kn, kc->kc_binding, KHTTPS_STAT_ACTIVE);
	if (stat)
		khttps_stat_inc(kn, kc->kc_binding, stat);
	/* A failed handshake's event, with its reason, went out already. */
	if (stat && stat != KHTTPS_STAT_HS_FAILED)
		khttps_netlink_event(kc, stat);
	khttps_relay_detach(kc);
	if (!test_bit(KHTTPS_CF_APP, &kc->kc_flags))
		kernel_sock_shutdown(kc->kc_sock, SHUT_RDWR);
	khttps_conn_put(kc);	/* the table's reference */
}

/**
 * khttps_conn_sock_kernel() - the kernel alone holds @kc's socket again
 * @kc: a connection whose file only the kernel holds (the worker let go)
 *
 * HS_ACCEPT made the socket hold its namespace (sk_net_refcnt_upgrade), as
 * a socket that user space holds must.  Once the worker let go, that
 * reference would make a cycle: the namespace could not go away while the
 * connection lives, and only the namespace's pre_exit closes it.  Drop it,
 * as a kernel socket has none; an application that accepts the connection
 * from a queue makes it take one again (khttps_conn_sock_user).
 *
 * Context: process; the socket is not yet seen by anyone else.
 */
void khttps_conn_sock_kernel(struct khttps_conn *kc)
{
	if (kc->kc_sock->sk->sk_net_refcnt)
		khttps_sk_net_refcnt_downgrade(kc->kc_sock->sk);
}

/**
 * khttps_conn_sock_user() - @kc's socket is about to get a file descriptor
 * @kc: the connection
 *
 * A socket user space holds keeps its namespace alive, as every user
 * socket does.  Context: process.
 */
void khttps_conn_sock_user(struct khttps_conn *kc)
{
	if (!kc->kc_sock->sk->sk_net_refcnt)
		sk_net_refcnt_upgrade(kc->kc_sock->sk);
}

/**
 * khttps_conn_close_all() - close every connection of a namespace
 * @kn: the namespace, marked dying so no new connection enters
 *
 * Context: process; takes kn_lock; waits for timeouts that already run.
 */
void khttps_conn_close_all(struct khttps_net *kn)
{
	struct khttps_conn *kc;
	unsigned long id;

	mutex_lock(&kn->kn_lock);
	xa_for_each(&kn->kn_conns, id, kc)
		khttps_conn_close(kc, 0);
	mutex_unlock(&kn->kn_lock);
	/* A timeout or relay run that was running holds the last ref of its conn. */
	flush_workqueue(khttps_wq);
	khttps_relay_flush();
}

/**
 * khttps_conn_worker_gone() - fail the handshakes a vanished worker held
 * @kn: the namespace
 * @portid: the worker's netlink port
 *
 * The worker had the socket and its TLS state: the handshake cannot resume
 * elsewhere, so the connection is closed and counted.
 *
 * Context: process; takes kn_lock.
 */
void khttps_conn_worker_gone(struct khttps_net *kn, u32 portid)
{
	struct khttps_conn *kc;
	unsigned long id;

	mutex_lock(&kn->kn_lock);
	xa_for_each(&kn->kn_conns, id, kc)
		if (kc->kc_state == KHTTPS_CONN_HANDSHAKE && kc->kc_portid == portid)
			khttps_conn_close(kc, KHTTPS_STAT_WORKER_LOST);
	mutex_unlock(&kn->kn_lock);
}

/* How often the sweep runs: a quarter of the timeout, within 1..30 s. */
static unsigned long khttps_conn_idle_period(void)
{
	unsigned int ms = khttps_param(idle_timeout_ms);

	return ms ? clamp(msecs_to_jiffies(ms / 4), (unsigned long)HZ, 30UL * HZ) : 30UL * HZ;
}

/*
 * While forward-mode connections are open or connections wait in accept
 * queues: close those that moved no plaintext either way, or that no
 * application took, for idle_timeout_ms (read each round, so a change
 * applies to open connections too; 0 closes none).  A connection goes
 * between idle_timeout_ms and a quarter more after its last byte or its
 * queueing.  Without the second, a queue nobody reads (its application
 * gone, its binding deleted) would keep its connections, and their kTLS
 * state, until the namespace or the module goes.
 */
static void khttps_conn_idle_sweep(struct work_struct *work)
{
	struct khttps_net *kn = container_of(to_delayed_work(work), struct khttps_net,
					     kn_idle_work);
	unsigned int ms = khttps_param(idle_timeout_ms);
	unsigned long limit = msecs_to_jiffies(ms);
	struct khttps_conn *kc;
	unsigned int batch = 0;
	unsigned long id;
	bool watched = false;

	mutex_lock(&kn->kn_lock);
	xa_for_each(&kn->kn_conns, id, kc) {
		if (kc->kc_state == KHTTPS_CONN_ESTABLISHED &&
		    (kc->kc_relay || !list_empty(&kc->kc_qlist))) {
			if (ms && time_after(jiffies, READ_ONCE(kc->kc_last) + limit))
				khttps_conn_close(kc, KHTTPS_STAT_IDLE_TIMEOUTS);
			else
				watched = true;
		}
		/* Many connections: let accepts and handshakes in now and then.
		 * xa_for_each() goes on from id, whatever changed meanwhile. */
		if (++batch % 256 == 0) {
			mutex_unlock(&kn->kn_lock);
			cond_resched();
			mutex_lock(&kn->kn_lock);
		}
	}
	if (watched && !kn->kn_dying)
		queue_delayed_work(khttps_wq, &kn->kn_idle_work, khttps_conn_idle_period());
	mutex_unlock(&kn->kn_lock);
}

/**
 * khttps_conn_idle_init() - set up a namespace's idle sweep
 * @kn: the namespace
 */
void khttps_conn_idle_init(struct khttps_net *kn)
{
	INIT_DELAYED_WORK(&kn->kn_idle_work, khttps_conn_idle_sweep);
}

/**
 * khttps_conn_idle_arm() - a forward connection started, or one was queued:
 * make sure the sweep runs
 * @kn: the namespace
 *
 * Context: kn_lock held.
 */
void khttps_conn_idle_arm(struct khttps_net *kn)
{
	lockdep_assert_held(&kn->kn_lock);
	if (!kn->kn_dying)
		queue_delayed_work(khttps_wq, &kn->kn_idle_work, khttps_conn_idle_period());
}
