/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttps internal header: shared structures, then prototypes grouped by the
 * file that defines them.
 *
 * Locking: each network namespace has one mutex, kn_lock, that guards its
 * bindings, its connection table and its pending-handshake list.  Everything
 * that takes it runs in process context (netlink handlers, work items).
 * Socket callbacks run in softirq context and only queue work.
 */
#ifndef _KHTTPS_H
#define _KHTTPS_H

#include <linux/atomic.h>
#include <linux/bvec.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/khttps.h>

#include "compat.h"

#define KHTTPS_CAPS_IMPLEMENTED	(KHTTPS_CAP_LISTEN | KHTTPS_CAP_TLS12 | KHTTPS_CAP_TLS13 | \
				 KHTTPS_CAP_FORWARD | KHTTPS_CAP_QUEUE | KHTTPS_CAP_SNI | \
				 KHTTPS_CAP_EVENTS | KHTTPS_CAP_CONNS | \
				 KHTTPS_CAP_NOTIFY_PORT)
#define KHTTPS_LISTEN_BACKLOG	1024
/* One pipe holds one full TLS record's plaintext (2^14 bytes). */
#define KHTTPS_PIPE_PAGES	(16384 / PAGE_SIZE)

/* TLS content types, alerts and handshake types (RFC 8446 5.1, 6 and 4). */
#define TLS_CT_ALERT		21
#define TLS_CT_HANDSHAKE	22
#define TLS_CT_APPDATA		23
#define TLS_ALERT_WARNING	1
#define TLS_ALERT_FATAL		2
#define TLS_ALERT_CLOSE_NOTIFY		0
#define TLS_ALERT_UNEXPECTED_MESSAGE	10
#define TLS_ALERT_BAD_RECORD_MAC	20
#define TLS_ALERT_RECORD_OVERFLOW	22
#define TLS_ALERT_DECODE_ERROR		50
#define TLS_ALERT_INTERNAL_ERROR	80
#define TLS_ALERT_USER_CANCELED		90
#define TLS_ALERT_NO_RENEGOTIATION	100
#define TLS_HS_CLIENT_HELLO	1
#define TLS_HS_KEY_UPDATE	24

/* How long a closing connection may wait for kTLS to hand its last records to TCP. */
#define KHTTPS_LINGER_MS	10000
#define KHTTPS_LINGER_POLL_MS	20

/* Buckets of a namespace's table of cleanly ended sessions (session.c). */
#define KHTTPS_SESSION_HASH_BITS	11
/* Buckets of a namespace's count of connections by source (source.c). */
#define KHTTPS_SOURCE_HASH_BITS		10

struct khttps_stats {
	atomic64_t st[__KHTTPS_STAT_MAX];
};

/* Per network namespace. */
struct khttps_net {
	struct net *kn_net;
	struct mutex kn_lock;
	struct list_head kn_bindings;
	struct list_head kn_listeners;
	u64 kn_next_binding_id;
	struct xarray kn_conns;		/* conn id -> struct khttps_conn */
	struct list_head kn_pending;	/* waiting for HS_ACCEPT, oldest first */
	struct xarray kn_workers;	/* port id that sent HS_ACCEPT -> struct khttps_worker */
	unsigned long kn_poke_next;	/* where the next READY looks first */
	u64 kn_taken;			/* HS_ACCEPTs that took a connection */
	u64 kn_taken_at_poke;		/* kn_taken when the last READY went to one */
	struct delayed_work kn_poke_check; /* that READY was answered, or all hear */
	spinlock_t kn_qlock;		/* kn_queues */
	struct list_head kn_queues;	/* struct khttps_queue, by name */
	u64 kn_next_id;
	unsigned int kn_nconns;
	unsigned int kn_npending;	/* waiting or in a handshake */
	bool kn_dying;
	struct khttps_stats kn_stats;
	/* session.c: sessions whose last connection ended cleanly */
	spinlock_t kn_slock;
	DECLARE_HASHTABLE(kn_sessions, KHTTPS_SESSION_HASH_BITS);
	struct list_head kn_session_lru;	/* oldest first */
	unsigned int kn_nsessions;
	struct delayed_work kn_idle_work;	/* conn.c: idle forward connections */
	/* source.c: open connections by source address, under kn_lock */
	DECLARE_HASHTABLE(kn_sources, KHTTPS_SOURCE_HASH_BITS);
	u32 kn_source_seed;
};

/*
 * A kernel-owned listening socket.  Bindings share it: an address binding
 * listens on its address, host and ccs bindings on 0.0.0.0 and [::] of
 * their port.  Listed in kn_listeners while some binding uses it.
 */
struct khttps_listener {
	struct list_head kl_list;
	struct khttps_net *kl_kn;
	struct sockaddr_storage kl_addr;
	struct socket *kl_sock;		/* NULL once closing */
	void (*kl_saved_data_ready)(struct sock *sk);
	struct work_struct kl_accept_work;
	unsigned int kl_users;		/* bindings listening here; under kn_lock */
};

/* Address bindings listen on one address; host and ccs on two (IPv4, IPv6). */
#define KHTTPS_BINDING_LISTENERS	2

struct khttps_binding {
	struct list_head kb_list;
	struct khttps_net *kb_kn;
	refcount_t kb_ref;		/* the bindings list, and each conn */
	u64 kb_id;
	enum khttps_bind_kind kb_kind;
	struct sockaddr_storage kb_addr;	/* ADDR */
	char *kb_host;				/* HOST: lower case, maybe "*.rest" */
	char *kb_store;				/* CCS */
	u16 kb_port;				/* HOST, CCS; host order */
	struct khttps_listener *kb_listen[KHTTPS_BINDING_LISTENERS];
	struct nlattr *kb_policy;		/* a copy of KHTTPS_A_POLICY, or NULL */
	u8 kb_proxy;				/* &enum khttps_proxy, from kb_policy */
	s8 kb_close_notify;			/* 0, 1, or -1: the module's default */
	u32 kb_max_conns;			/* open connections at most; 0: no limit */
	char *kb_cert;
	char *kb_key;
	struct sockaddr_storage kb_backend;	/* ss_family 0: queue mode */
	struct khttps_queue *kb_queue;		/* queue mode */
	struct khttps_stats kb_stats;
};

/*
 * Queue mode: a named accept queue of established connections, per
 * namespace.  Bindings and open /dev/khttps files hold references; it is
 * listed (found by name) until the last one goes.
 */
struct khttps_queue {
	struct list_head q_list;	/* kn_queues, under kn_qlock */
	struct khttps_net *q_kn;
	refcount_t q_ref;
	char q_name[KHTTPS_QUEUE_NAME_MAX];
	kuid_t q_uid;			/* may attach besides CAP_NET_ADMIN, or invalid */
	kgid_t q_gid;
	/* Under kn_lock: */
	struct list_head q_ready;	/* established, waiting for accept, oldest first */
	unsigned int q_nready;
	wait_queue_head_t q_wait;	/* accept and poll */
};

enum khttps_conn_state {
	KHTTPS_CONN_HELLO,		/* accepted, its ClientHello not all in yet */
	KHTTPS_CONN_WAITING,		/* accepted, no worker yet */
	KHTTPS_CONN_HANDSHAKE,		/* a worker holds it */
	KHTTPS_CONN_ESTABLISHED,	/* kTLS installed */
	KHTTPS_CONN_CLOSING,		/* close_notify sent, kTLS still sending */
	KHTTPS_CONN_CLOSED,		/* out of the table, waiting for its last ref */
};

/* Forward mode: plaintext in flight one way, in pages we own. */
struct khttps_pipe {
	struct page *pg[KHTTPS_PIPE_PAGES];
	unsigned int len;		/* bytes in the pages */
	unsigned int off;		/* of which already sent */
	bool eof;			/* the source ended cleanly */
};

/*
 * Forward mode, backend to client: the backend socket's own pages, taken
 * from its receive queue with tcp_read_sock() and referenced, not copied.
 * Data that is not in a page kTLS may take (skb heads) is copied into
 * @copy.  Holds at most one record's worth (16 KiB).
 */
#define KHTTPS_SPLICE_SEGS	32
struct khttps_splice {
	struct bio_vec bv[KHTTPS_SPLICE_SEGS];
	unsigned long held;		/* bit i: bv[i] holds a page reference of ours */
	unsigned int nr;		/* segments filled */
	unsigned int len;		/* bytes in them */
	unsigned int off;		/* of which already sent */
	unsigned int copied;		/* bytes of @copy in use */
	struct khttps_pipe copy;
	bool eof;			/* the backend ended cleanly */
};

/* Forward mode: the in-kernel relay between a client and its backend. */
struct khttps_relay {
	struct socket *backend;
	struct wait_queue_entry cwait;	/* on the client socket's wait queue */
	struct wait_queue_entry bwait;	/* on the backend socket's */
	bool cwait_on, bwait_on;
	atomic_long_t events;		/* KHTTPS_RELAY_UP/DOWN: which way a wake-up may move */
	bool connected;			/* backend TCP handshake done */
	bool backend_shut;		/* SHUT_WR sent to the backend */
	unsigned long linger_end;	/* CLOSING: give up sending by then */
	struct khttps_pipe up;		/* client -> backend */
	struct khttps_splice down;	/* backend -> client */
	u8 *pp2;			/* a PROXY header still to send, or NULL */
	unsigned int pp2_len, pp2_off;
};

struct khttps_conn {
	u64 kc_id;
	enum khttps_conn_state kc_state;
	refcount_t kc_ref;		/* the table, and a pending timeout */
	struct khttps_net *kc_kn;
	struct khttps_binding *kc_binding;	/* NULL until HS_SELECT chose one */
	struct sockaddr_storage kc_listen;	/* the listener's address */
	struct socket *kc_sock;
	struct file *kc_file;		/* set once the socket was given a file */
	u32 kc_portid;			/* the worker's netlink port */
	struct list_head kc_pending;
	struct delayed_work kc_timeout;
	struct wait_queue_entry kc_hello_wait;	/* HELLO: on the socket's wait queue */
	struct work_struct kc_hello_work;	/* HELLO: has the ClientHello come? */
	struct sockaddr_storage kc_peer;
	u16 kc_version;			/* set once kTLS is installed */
	u16 kc_cipher;
	u16 kc_suite;			/* IANA number from DONE, or 0 */
	atomic64_t kc_rec_in;		/* kTLS record sequence last counted, rx */
	atomic64_t kc_rec_out;		/* and tx */
	struct delayed_work kc_linger;	/* forward mode, CLOSING: the next send check */
	struct llist_node kc_ready;	/* forward mode: on a ready list (relay.c) */
	struct khttps_relay *kc_relay;	/* forward mode, once established */
	char *kc_sni, *kc_alpn;		/* from DONE, or NULL */
	struct khttps_client_id *kc_client;	/* from DONE, or NULL */
	struct list_head kc_qlist;	/* queue mode: on q_ready */
	unsigned long kc_flags;		/* &enum khttps_conn_flag */
	u8 kc_token[KHTTPS_SESSION_TOKEN_LEN];	/* with KHTTPS_CF_TOKEN */
	u32 kc_session_life;		/* seconds, from DONE */
	u64 kc_start;			/* accepted, boottime ns */
	atomic64_t kc_bytes_in;		/* plaintext from the client */
	atomic64_t kc_bytes_out;	/* and to it */
	unsigned long kc_last;		/* jiffies of the last plaintext (forward mode) or of queueing */
};

/* Not established yet: waiting for its ClientHello, a worker, or in its handshake. */
static inline bool khttps_conn_in_handshake(const struct khttps_conn *kc)
{
	return kc->kc_state == KHTTPS_CONN_HELLO || kc->kc_state == KHTTPS_CONN_WAITING ||
	       kc->kc_state == KHTTPS_CONN_HANDSHAKE;
}

/* A connection's state bits (atomic): queue mode's hand-over, the TLS end, the relay. */
enum khttps_conn_flag {
	KHTTPS_CF_APP,		/* an application owns the socket */
	KHTTPS_CF_RX_EOF,	/* the client's close_notify was read */
	KHTTPS_CF_RX_END,	/* the end (EOF, error) was counted */
	KHTTPS_CF_TX_CLOSED,	/* our close_notify was sent */
	KHTTPS_CF_FAILED,	/* a fatal alert went either way: no more records */
	KHTTPS_CF_RESUMED,	/* the handshake resumed a session */
	KHTTPS_CF_CLOSE_NOTIFY,	/* close_notify policy on: we send it, the end is judged */
	KHTTPS_CF_TOKEN,	/* kc_token holds the session's token from DONE */
	KHTTPS_CF_TRUNCATED,	/* the client ended TCP without close_notify */
	KHTTPS_CF_SOURCE,	/* counted by its source address (source.c) */
	KHTTPS_CF_RELAY_RUN,	/* forward mode: a relay run is due or running (relay.c) */
};

/* A verified client certificate, as DONE named it. */
struct khttps_client_id {
	char subject[KHTTPS_DN_MAX];
	char issuer[KHTTPS_DN_MAX];
	char serial[KHTTPS_SERIAL_MAX];
	u8 sha256[32];
	char cn[KHTTPS_DN_MAX];		/* the subject's common name, or "" */
};

/* Why a connection ends, and what the client is told. */
struct khttps_end {
	int stat;		/* &enum khttps_stat, or 0 */
	int alert;		/* fatal alert to send, or -1 */
};

/* The record keys of one direction, as DONE carried them. */
struct khttps_keys {
	const u8 *key, *iv, *salt, *rec_seq;
	int key_len, iv_len, salt_len, rec_seq_len;
};

/* main.c */
struct khttps_params {
	unsigned int handshake_timeout_ms;
	unsigned int max_pending_handshakes;
	unsigned int max_connections;
	unsigned int default_queue_len;
	unsigned int close_notify;
	unsigned int max_sessions;
	unsigned int idle_timeout_ms;
	unsigned int max_conns_per_source;
	unsigned int rx_expect_no_pad;
	unsigned int ready_retry_ms;
};
extern struct khttps_params khttps_params;
extern struct workqueue_struct *khttps_wq;
struct khttps_net *khttps_net(const struct net *net);

/* Module parameters change at any time through sysfs: read each once. */
#define khttps_param(name) READ_ONCE(khttps_params.name)

/*
 * The kernel log has a line for each change an administrator made (a
 * binding, a parameter, a namespace's teardown) and nothing per connection
 * (those go to the events group).  All such lines share one rate limit, so
 * a script churning bindings cannot flood the log.
 */
extern struct ratelimit_state khttps_admin_rs;
#define khttps_admin_log(fmt, ...)						\
	do {									\
		if (__ratelimit(&khttps_admin_rs))				\
			pr_info(fmt, ##__VA_ARGS__);				\
	} while (0)

/* netlink.c */
int khttps_netlink_init(void);
void khttps_netlink_exit(void);
void khttps_netlink_notify_ready(struct khttps_net *kn);
void khttps_netlink_forget_workers(struct khttps_net *kn);
void khttps_netlink_poke_check(struct work_struct *work);
void khttps_netlink_event(struct khttps_conn *kc, int reason);

/* listener.c */
struct khttps_binding_cfg {
	enum khttps_bind_kind kind;
	struct sockaddr_storage addr;		/* ADDR */
	const char *host;			/* HOST, valid and lower case */
	const char *store;			/* CCS */
	u16 port;				/* HOST, CCS */
	const char *cert, *key;			/* not CCS */
	const struct nlattr *policy;		/* checked KHTTPS_A_POLICY, or NULL */
	struct sockaddr_storage backend;
	const char *queue;
	kuid_t queue_uid;
	kgid_t queue_gid;
};
int khttps_binding_add(struct khttps_net *kn, const struct khttps_binding_cfg *cfg,
		       struct netlink_ext_ack *extack);
int khttps_binding_del(struct khttps_net *kn, const struct khttps_binding_cfg *key);
void khttps_binding_del_all(struct khttps_net *kn);
int khttps_binding_set(struct khttps_net *kn, const struct khttps_binding_cfg *key,
		       const struct khttps_binding_cfg *chg, struct netlink_ext_ack *extack);
void khttps_binding_put(struct khttps_binding *kb);
bool khttps_host_name_ok(const char *name, bool wildcard);
struct khttps_binding *khttps_binding_attach(struct khttps_net *kn, struct khttps_listener *kl);
struct khttps_binding *khttps_binding_select(struct khttps_net *kn,
					     const struct sockaddr_storage *listen,
					     const char *sni, bool skip_ccs);
bool khttps_binding_serves(const struct khttps_binding *kb,
			   const struct sockaddr_storage *listen);

/* conn.c */
void khttps_stat_inc(struct khttps_net *kn, struct khttps_binding *kb, int stat);
void khttps_stat_dec(struct khttps_net *kn, struct khttps_binding *kb, int stat);
void khttps_stat_add(struct khttps_net *kn, struct khttps_binding *kb, int stat, u64 n);
void khttps_conn_bytes(struct khttps_conn *kc, int stat, u64 n);
int khttps_conn_cache_init(void);
void khttps_conn_cache_exit(void);
void khttps_conn_idle_init(struct khttps_net *kn);
u32 khttps_policy_max_conns(const struct nlattr *policy);
bool khttps_binding_full(const struct khttps_binding *kb);
void khttps_conn_idle_arm(struct khttps_net *kn);
void khttps_conn_get(struct khttps_conn *kc);
void khttps_conn_put(struct khttps_conn *kc);
void khttps_conn_new(struct khttps_listener *kl, struct socket *sock);
void khttps_conn_set_binding(struct khttps_conn *kc, struct khttps_binding *kb);
struct khttps_conn *khttps_conn_take_pending(struct khttps_net *kn);
void khttps_conn_requeue(struct khttps_conn *kc);
struct khttps_conn *khttps_conn_find(struct khttps_net *kn, u64 id);
void khttps_conn_established(struct khttps_conn *kc);
void khttps_conn_close(struct khttps_conn *kc, int stat);
void khttps_conn_close_all(struct khttps_net *kn);
void khttps_conn_sock_kernel(struct khttps_conn *kc);
void khttps_conn_sock_user(struct khttps_conn *kc);
void khttps_conn_worker_gone(struct khttps_net *kn, u32 portid);

/* ktls.c */
int khttps_ktls_install(struct khttps_conn *kc, u16 version, u16 cipher,
			const struct khttps_keys *tx, const struct khttps_keys *rx,
			struct netlink_ext_ack *extack);

/* record.c */
int khttps_tls_send_alert(struct socket *sock, u8 level, u8 desc);
bool khttps_tls_tx_pending(struct socket *sock);
void khttps_tls_count_records(struct khttps_conn *kc);
int khttps_tls_control(struct khttps_conn *kc, u8 type, const u8 *body, unsigned int len,
		       struct khttps_end *end);
struct khttps_end khttps_tls_rx_error(int err);
void khttps_tls_end(struct khttps_conn *kc, struct khttps_end end);

/* queue.c */
bool khttps_queue_name_ok(const char *s);
int khttps_queue_init(void);
void khttps_queue_exit(void);
struct khttps_queue *khttps_queue_get(struct khttps_net *kn, const char *name, kuid_t uid,
				      kgid_t gid, struct netlink_ext_ack *extack);
void khttps_queue_put(struct khttps_queue *q);
bool khttps_queue_full(struct khttps_binding *kb);
int khttps_queue_ready(struct khttps_conn *kc);
void khttps_queue_remove(struct khttps_conn *kc);

/* appsock.c */
int khttps_app_adopt(struct khttps_conn *kc);
void khttps_app_exit(void);

/* relay.c */
int khttps_relay_start(struct khttps_conn *kc);
void khttps_relay_detach(struct khttps_conn *kc);
void khttps_relay_free(struct khttps_conn *kc);
void khttps_relay_init(void);
void khttps_relay_flush(void);
void khttps_relay_linger(struct work_struct *work);

/* session.c */
int khttps_session_cache_init(void);
void khttps_session_cache_exit(void);
s8 khttps_policy_close_notify(const struct nlattr *policy);
bool khttps_binding_close_notify(const struct khttps_binding *kb);
void khttps_session_init(struct khttps_net *kn);
void khttps_session_flush(struct khttps_net *kn);
void khttps_session_end(struct khttps_net *kn, const u8 *token, bool clean, unsigned int life);
bool khttps_session_resumable(struct khttps_net *kn, const u8 *token);

/* source.c */
bool khttps_source_admit(struct khttps_conn *kc);
void khttps_source_release(struct khttps_conn *kc);
void khttps_source_init(struct khttps_net *kn);

/* proxy.c */
u8 *khttps_proxy_v2(const struct khttps_conn *kc, unsigned int *len);
u8 khttps_policy_proxy(const struct nlattr *policy);

#endif /* _KHTTPS_H */
