// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: bindings and the kernel-owned listening sockets they share.
 *
 * A listener's sk_data_ready only queues its accept work, which accepts in
 * kernel until the backlog is empty.  Which binding a connection belongs to
 * is known at accept when its port has only address bindings, and chosen by
 * the client's SNI during the handshake otherwise (khttps_binding_select()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "khttps.h"

static bool khttps_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port && ipv6_addr_equal(&x->sin6_addr, &y->sin6_addr);
	}
	return false;
}

static int khttps_addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static u16 khttps_addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

/* 0.0.0.0:port or [::]:port */
static void khttps_addr_any(struct sockaddr_storage *a, int family, u16 port)
{
	memset(a, 0, sizeof(*a));
	a->ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/**
 * khttps_host_name_ok() - whether @name may name a host binding or an SNI
 * @name: NUL-terminated
 * @wildcard: whether a leading "*." label is allowed
 *
 * Labels of 1..63 letters, digits, '-' and '_', joined by dots, at most 253
 * bytes: nothing that could be a path or need quoting.  The last label is
 * not all digits: that would be an IPv4 address, which SNI never carries.
 */
bool khttps_host_name_ok(const char *name, bool wildcard)
{
	size_t len = strlen(name), label = 0;
	bool digits = true;
	const char *p = name;

	if (wildcard && !strncmp(name, "*.", 2))
		p += 2;
	if (!*p || len > 253)
		return false;
	for (; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			digits = true;
		} else if (isalnum(*p) || *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
			digits &= !!isdigit(*p);
		} else {
			return false;
		}
	}
	return label > 0 && !digits;
}

static void khttps_listen_data_ready(struct sock *sk)
{
	struct khttps_listener *kl;

	rcu_read_lock();
	kl = rcu_dereference_sk_user_data(sk);
	if (kl)
		queue_work(khttps_wq, &kl->kl_accept_work);
	rcu_read_unlock();
}

static void khttps_accept_work(struct work_struct *work)
{
	struct khttps_listener *kl = container_of(work, struct khttps_listener, kl_accept_work);
	struct socket *sock, *newsock;
	struct sock *sk;

	/*
	 * khttps_listener_close() clears kl_sock, then waits for this work.
	 * An empty accept queue ends the loop before kernel_accept(), which
	 * would allocate a socket (an inode) only to free it with EAGAIN; a
	 * connection queued after the look wakes data_ready, which queues
	 * this work again.
	 */
	while ((sock = READ_ONCE(kl->kl_sock)) &&
	       !reqsk_queue_empty(&inet_csk(sock->sk)->icsk_accept_queue) &&
	       !kernel_accept(sock, &newsock, O_NONBLOCK)) {
		/* The child was cloned from the listener: take our hooks off it. */
		sk = newsock->sk;
		write_lock_bh(&sk->sk_callback_lock);
		rcu_assign_sk_user_data(sk, NULL);
		sk->sk_data_ready = kl->kl_saved_data_ready;
		write_unlock_bh(&sk->sk_callback_lock);
		/*
		 * No Nagle, as nginx and HAProxy do: every write here is a
		 * whole record, and TLS 1.3's tickets, sent after the client's
		 * Finished, would otherwise hold the first response until the
		 * client acknowledges them, a round trip.  An application on a
		 * queue may turn it back on (setsockopt TCP_NODELAY 0).
		 */
		tcp_sock_set_nodelay(sk);
		khttps_conn_new(kl, newsock);
		cond_resched();
	}
}

/* Stop listening and free; outside kn_lock, since the accept work takes it. */
static void khttps_listener_close(struct khttps_listener *kl)
{
	struct socket *sock = kl->kl_sock;
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_data_ready = kl->kl_saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(kl->kl_sock, NULL);
	/* The accept work may be between its check and kernel_accept. */
	cancel_work_sync(&kl->kl_accept_work);
	synchronize_rcu();
	sock_release(sock);
	kfree(kl);
}

static struct khttps_listener *khttps_listener_open(struct khttps_net *kn,
						    const struct sockaddr_storage *addr,
						    struct netlink_ext_ack *extack)
{
	struct khttps_listener *kl;
	struct socket *sock;
	struct sock *sk;
	int err;

	kl = kzalloc(sizeof(*kl), GFP_KERNEL);
	if (!kl)
		return ERR_PTR(-ENOMEM);
	kl->kl_kn = kn;
	kl->kl_addr = *addr;
	INIT_WORK(&kl->kl_accept_work, khttps_accept_work);
	err = sock_create_kern(kn->kn_net, addr->ss_family, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: cannot create a listening socket (%d)", err);
		kfree(kl);
		return ERR_PTR(err);
	}
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	/*
	 * A host binding's 0.0.0.0:port and an address binding's
	 * 192.0.2.1:port listen side by side; TCP gives each connection to
	 * the most specific.  Only sockets of the same owner may join.
	 */
	sock_set_reuseport(sk);
	/* [::] must leave 0.0.0.0 on the same port to its own listener. */
	if (addr->ss_family == AF_INET6)
		ip6_sock_set_v6only(sk);
	err = kernel_bind(sock, (struct sockaddr *)addr, khttps_addr_len(addr));
	if (err) {
		/* Plain literals: 6.1 cannot format extack messages. */
		if (err == -EADDRINUSE)
			NL_SET_ERR_MSG(extack, "khttps: cannot bind: the port is in use");
		else if (err == -EADDRNOTAVAIL)
			NL_SET_ERR_MSG(extack, "khttps: cannot bind: no such local address");
		else
			NL_SET_ERR_MSG(extack, "khttps: cannot bind the address");
		sock_release(sock);
		kfree(kl);
		return ERR_PTR(err);
	}
	kl->kl_sock = sock;
	write_lock_bh(&sk->sk_callback_lock);
	kl->kl_saved_data_ready = sk->sk_data_ready;
	__rcu_assign_sk_user_data_with_flags(sk, kl, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = khttps_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	/* As listen(2) does, the namespace's net.core.somaxconn caps the backlog. */
	err = kernel_listen(sock, min_t(int, KHTTPS_LISTEN_BACKLOG,
					READ_ONCE(kn->kn_net->core.sysctl_somaxconn)));
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: listen failed (%d)", err);
		khttps_listener_close(kl);
		return ERR_PTR(err);
	}
	return kl;
}

/* The listener on @addr, opened if none; one more user.  Context: kn_lock. */
static struct khttps_listener *khttps_listener_get(struct khttps_net *kn,
						   const struct sockaddr_storage *addr,
						   struct netlink_ext_ack *extack)
{
	struct khttps_listener *kl;

	lockdep_assert_held(&kn->kn_lock);
	list_for_each_entry(kl, &kn->kn_listeners, kl_list) {
		if (khttps_addr_equal(&kl->kl_addr, addr)) {
			kl->kl_users++;
			return kl;
		}
	}
	kl = khttps_listener_open(kn, addr, extack);
	if (IS_ERR(kl))
		return kl;
	kl->kl_users = 1;
	list_add_tail(&kl->kl_list, &kn->kn_listeners);
	return kl;
}

/* One user less; the last moves it to @dead for closing.  Context: kn_lock. */
static void khttps_listener_put(struct khttps_listener *kl, struct list_head *dead)
{
	if (kl && !--kl->kl_users)
		list_move_tail(&kl->kl_list, dead);
}

static void khttps_listeners_close(struct list_head *dead)
{
	struct khttps_listener *kl, *tmp;

	list_for_each_entry_safe(kl, tmp, dead, kl_list) {
		list_del(&kl->kl_list);
		khttps_listener_close(kl);
	}
}

static void khttps_binding_free(struct khttps_binding *kb)
{
	if (kb->kb_queue)
		khttps_queue_put(kb->kb_queue);
	kfree(kb->kb_host);
	kfree(kb->kb_policy);
	kfree(kb->kb_store);
	kfree(kb->kb_cert);
	kfree(kb->kb_key);
	kfree(kb);
}

/**
 * khttps_binding_put() - drop a reference; the last one frees the binding
 * @kb: the binding, or NULL
 *
 * Context: any.
 */
void khttps_binding_put(struct khttps_binding *kb)
{
	if (kb && refcount_dec_and_test(&kb->kb_ref))
		khttps_binding_free(kb);
}

/* Whether @kb is the binding @key names (kind and address, host or port). */
static bool khttps_binding_is(const struct khttps_binding *kb, const struct khttps_binding_cfg *key)
{
	if (kb->kb_kind != key->kind)
		return false;
	switch (kb->kb_kind) {
	case KHTTPS_BIND_ADDR:
		return khttps_addr_equal(&kb->kb_addr, &key->addr);
	case KHTTPS_BIND_HOST:
		return kb->kb_port == key->port && !strcmp(kb->kb_host, key->host);
	default:
		return kb->kb_port == key->port;
	}
}

/**
 * khttps_binding_serves() - whether @kb may take a connection accepted on @listen
 * @kb: a binding
 * @listen: the address of the listener that accepted it
 *
 * Context: kn_lock held.
 */
bool khttps_binding_serves(const struct khttps_binding *kb, const struct sockaddr_storage *listen)
{
	if (kb->kb_kind == KHTTPS_BIND_ADDR)
		return khttps_addr_equal(&kb->kb_addr, listen);
	return kb->kb_port == khttps_addr_port(listen);
}

/**
 * khttps_binding_attach() - the binding a new connection belongs to at once
 * @kn: the namespace
 * @kl: the listener that accepted it
 *
 * Return: the address binding of @kl's address when its port has no host
 * or ccs binding; otherwise NULL: the handshake picks one by SNI.
 * Context: kn_lock held.
 */
struct khttps_binding *khttps_binding_attach(struct khttps_net *kn, struct khttps_listener *kl)
{
	u16 port = khttps_addr_port(&kl->kl_addr);
	struct khttps_binding *kb, *addr = NULL;

	lockdep_assert_held(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		if (kb->kb_kind != KHTTPS_BIND_ADDR && kb->kb_port == port)
			return NULL;
		if (kb->kb_kind == KHTTPS_BIND_ADDR && khttps_addr_equal(&kb->kb_addr, &kl->kl_addr))
			addr = kb;
	}
	return addr;
}

/**
 * khttps_binding_select() - the binding for a handshake, by SNI
 * @kn: the namespace
 * @listen: the address of the listener that accepted the connection
 * @sni: the client's server name, lower case; NULL when it sent none
 * @skip_ccs: the ccs store had no certificate for @sni
 *
 * The exact host binding, else the wildcard one label up, else the port's
 * ccs store, else the listening address's binding.
 *
 * Return: the binding (no reference taken) or NULL.
 * Context: kn_lock held.
 */
struct khttps_binding *khttps_binding_select(struct khttps_net *kn,
					     const struct sockaddr_storage *listen,
					     const char *sni, bool skip_ccs)
{
	const char *parent = sni ? strchr(sni, '.') : NULL;
	struct khttps_binding *kb, *wild = NULL, *ccs = NULL, *addr = NULL;
	u16 port = khttps_addr_port(listen);

	lockdep_assert_held(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		switch (kb->kb_kind) {
		case KHTTPS_BIND_ADDR:
			if (khttps_addr_equal(&kb->kb_addr, listen))
				addr = kb;
			break;
		case KHTTPS_BIND_HOST:
			if (!sni || kb->kb_port != port)
				break;
			if (!strcmp(kb->kb_host, sni))
				return kb;
			/* "*.example.test" covers "a.example.test", not "a.b.example.test". */
			if (parent && parent != sni && kb->kb_host[0] == '*' &&
			    !strcmp(kb->kb_host + 1, parent))
				wild = kb;
			break;
		default:
			if (sni && !skip_ccs && kb->kb_port == port)
				ccs = kb;
			break;
		}
	}
	return wild ?: ccs ?: addr;
}

/*
 * The admin log line for @kb: what happened to which binding, and in which
 * namespace when it is not the initial one (its inode, as in
 * /proc/PID/ns/net).  Context: any; prints at most the shared rate.
 */
static void khttps_binding_log(const struct khttps_binding *kb, const char *what)
{
	const struct net *net = kb->kb_kn->kn_net;
	char name[KHTTPS_SNI_MAX + 8], to[KHTTPS_QUEUE_NAME_MAX + 8];
	char ns[24] = "";

	if (!__ratelimit(&khttps_admin_rs))
		return;
	if (kb->kb_kind == KHTTPS_BIND_ADDR)
		snprintf(name, sizeof(name), "%pISpc", &kb->kb_addr);
	else if (kb->kb_kind == KHTTPS_BIND_HOST)
		snprintf(name, sizeof(name), "%s:%u", kb->kb_host, kb->kb_port);
	else
		snprintf(name, sizeof(name), "ccs:%u", kb->kb_port);
	if (kb->kb_queue)
		snprintf(to, sizeof(to), "queue %s", kb->kb_queue->q_name);
	else
		snprintf(to, sizeof(to), "%pISpc", &kb->kb_backend);
	if (net != &init_net)
		snprintf(ns, sizeof(ns), " in netns %u", net->ns.inum);
	pr_info("binding %s -> %s %s%s\n", name, to, what, ns);
}

/**
 * khttps_binding_add() - create a binding and start listening
 * @kn: the namespace
 * @cfg: what the binding is; strings are copied
 * @extack: where to say what was wrong
 *
 * Return: 0, -EEXIST for the same binding (or a second ccs store on a
 * port), -EADDRINUSE when another socket has the port, or another negative
 * errno.
 * Context: process; takes kn_lock.
 */
int khttps_binding_add(struct khttps_net *kn, const struct khttps_binding_cfg *cfg,
		       struct netlink_ext_ack *extack)
{
	struct sockaddr_storage any;
	struct khttps_binding *kb, *it;
	struct khttps_listener *kl;
	LIST_HEAD(dead);
	int err, i;

	kb = kzalloc(sizeof(*kb), GFP_KERNEL);
	if (!kb)
		return -ENOMEM;
	refcount_set(&kb->kb_ref, 1);
	kb->kb_kn = kn;
	kb->kb_kind = cfg->kind;
	kb->kb_addr = cfg->addr;
	kb->kb_port = cfg->port;
	kb->kb_backend = cfg->backend;
	err = -ENOMEM;
	if (cfg->host && !(kb->kb_host = kstrdup(cfg->host, GFP_KERNEL)))
		goto err_free;
	if (cfg->store && !(kb->kb_store = kstrdup(cfg->store, GFP_KERNEL)))
		goto err_free;
	if (cfg->cert && !(kb->kb_cert = kstrdup(cfg->cert, GFP_KERNEL)))
		goto err_free;
	if (cfg->key && !(kb->kb_key = kstrdup(cfg->key, GFP_KERNEL)))
		goto err_free;
	if (cfg->policy && !(kb->kb_policy = kmemdup(cfg->policy, cfg->policy->nla_len, GFP_KERNEL)))
		goto err_free;
	kb->kb_proxy = khttps_policy_proxy(cfg->policy);
	kb->kb_close_notify = khttps_policy_close_notify(cfg->policy);
	kb->kb_max_conns = khttps_policy_max_conns(cfg->policy);
	if (cfg->queue) {
		kb->kb_queue = khttps_queue_get(kn, cfg->queue, cfg->queue_uid, cfg->queue_gid,
						extack);
		if (IS_ERR(kb->kb_queue)) {
			err = PTR_ERR(kb->kb_queue);
			kb->kb_queue = NULL;
			goto err_free;
		}
	}

	mutex_lock(&kn->kn_lock);
	list_for_each_entry(it, &kn->kn_bindings, kb_list) {
		if (khttps_binding_is(it, cfg)) {
			if (cfg->kind == KHTTPS_BIND_CCS)
				NL_SET_ERR_MSG(extack, "khttps: this port has a ccs binding already");
			else if (cfg->kind == KHTTPS_BIND_HOST)
				NL_SET_ERR_MSG(extack, "khttps: a binding for this host name and port exists");
			else
				NL_SET_ERR_MSG(extack, "khttps: a binding for this address and port exists");
			err = -EEXIST;
			goto err_unlock;
		}
	}
	err = -ENODEV;
	if (kn->kn_dying)
		goto err_unlock;
	if (cfg->kind == KHTTPS_BIND_ADDR) {
		kl = khttps_listener_get(kn, &cfg->addr, extack);
		if (IS_ERR(kl)) {
			err = PTR_ERR(kl);
			goto err_unlock;
		}
		kb->kb_listen[0] = kl;
	} else {
		khttps_addr_any(&any, AF_INET, cfg->port);
		kl = khttps_listener_get(kn, &any, extack);
		if (IS_ERR(kl)) {
			err = PTR_ERR(kl);
			goto err_unlock;
		}
		kb->kb_listen[0] = kl;
		khttps_addr_any(&any, AF_INET6, cfg->port);
		kl = khttps_listener_get(kn, &any, extack);
		/* A namespace without IPv6 serves the name on IPv4 alone. */
		if (IS_ERR(kl) && PTR_ERR(kl) != -EAFNOSUPPORT) {
			err = PTR_ERR(kl);
			goto err_listeners;
		}
		kb->kb_listen[1] = IS_ERR(kl) ? NULL : kl;
	}
	kb->kb_id = ++kn->kn_next_binding_id;
	list_add_tail(&kb->kb_list, &kn->kn_bindings);
	mutex_unlock(&kn->kn_lock);
	khttps_binding_log(kb, "added");
	return 0;

err_listeners:
	for (i = 0; i < KHTTPS_BINDING_LISTENERS; i++)
		khttps_listener_put(kb->kb_listen[i], &dead);
err_unlock:
	mutex_unlock(&kn->kn_lock);
	khttps_listeners_close(&dead);
err_free:
	khttps_binding_free(kb);
	return err;
}

/* Unlist @kb and give up its listeners.  Context: kn_lock held. */
static void khttps_binding_unlist(struct khttps_binding *kb, struct list_head *dead)
{
	int i;

	list_del(&kb->kb_list);
	for (i = 0; i < KHTTPS_BINDING_LISTENERS; i++) {
		khttps_listener_put(kb->kb_listen[i], dead);
		kb->kb_listen[i] = NULL;
	}
}

/**
 * khttps_binding_del() - delete a binding, and listeners no other one uses
 * @kn: the namespace
 * @key: names the binding: kind and address, host and port, or port
 *
 * Connections already accepted go on and keep the binding's counters alive.
 *
 * Return: 0 or -ENOENT.
 * Context: process; takes kn_lock.
 */
int khttps_binding_del(struct khttps_net *kn, const struct khttps_binding_cfg *key)
{
	struct khttps_binding *kb, *found = NULL;
	LIST_HEAD(dead);

	mutex_lock(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		if (khttps_binding_is(kb, key)) {
			found = kb;
			khttps_binding_unlist(kb, &dead);
			break;
		}
	}
	mutex_unlock(&kn->kn_lock);
	if (!found)
		return -ENOENT;
	khttps_listeners_close(&dead);
	khttps_binding_log(found, "deleted");
	khttps_binding_put(found);
	return 0;
}

/**
 * khttps_binding_del_all() - delete every binding of a namespace
 * @kn: the namespace (going away, or the module is)
 *
 * Context: process; takes kn_lock.
 */
void khttps_binding_del_all(struct khttps_net *kn)
{
	struct khttps_binding *kb, *tmp;
	unsigned int n = 0;
	LIST_HEAD(dead);
	LIST_HEAD(gone);

	mutex_lock(&kn->kn_lock);
	list_for_each_entry_safe(kb, tmp, &kn->kn_bindings, kb_list) {
		khttps_binding_unlist(kb, &dead);
		list_add_tail(&kb->kb_list, &gone);
		n++;
	}
	mutex_unlock(&kn->kn_lock);
	khttps_listeners_close(&dead);
	if (n && kn->kn_net == &init_net)
		khttps_admin_log("unloading: %u binding%s deleted\n", n, n == 1 ? "" : "s");
	else if (n)
		khttps_admin_log("netns %u going away: %u binding%s deleted\n",
				 kn->kn_net->ns.inum, n, n == 1 ? "" : "s");
	list_for_each_entry_safe(kb, tmp, &gone, kb_list) {
		list_del(&kb->kb_list);
		khttps_binding_put(kb);
	}
}

/**
 * khttps_binding_set() - change a binding's certificate, policy or backend
 * @kn: the namespace
 * @key: names the binding
 * @chg: what changes: cert and key, store, policy, backend (ss_family set);
 *	NULL fields stay as they are
 * @extack: where to say what was wrong
 *
 * All or nothing, under kn_lock, which everyone who reads these holds:
 * the next handshake sees the new values, established connections keep
 * what they have.
 *
 * Return: 0, -ENOENT, -EINVAL (a field the binding's kind or mode does not
 * have), -ENOMEM.
 * Context: process; takes kn_lock.
 */
int khttps_binding_set(struct khttps_net *kn, const struct khttps_binding_cfg *key,
		       const struct khttps_binding_cfg *chg, struct netlink_ext_ack *extack)
{
	char *cert = NULL, *pkey = NULL, *store = NULL;
	struct nlattr *policy = NULL;
	struct khttps_binding *kb;
	int err = -ENOMEM;

	if ((chg->cert && !(cert = kstrdup(chg->cert, GFP_KERNEL))) ||
	    (chg->key && !(pkey = kstrdup(chg->key, GFP_KERNEL))) ||
	    (chg->store && !(store = kstrdup(chg->store, GFP_KERNEL))) ||
	    (chg->policy && !(policy = kmemdup(chg->policy, chg->policy->nla_len, GFP_KERNEL))))
		goto out;
	mutex_lock(&kn->kn_lock);
	err = -ENOENT;
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		if (!khttps_binding_is(kb, key))
			continue;
		err = -EINVAL;
		if (chg->backend.ss_family && !kb->kb_backend.ss_family) {
			NL_SET_ERR_MSG(extack, "khttps: a queue binding has no backend");
			break;
		}
		if ((chg->cert || chg->key) && !kb->kb_cert) {
			NL_SET_ERR_MSG(extack, "khttps: a ccs binding has a store, not cert and key");
			break;
		}
		if (chg->store && !kb->kb_store) {
			NL_SET_ERR_MSG(extack, "khttps: only a ccs binding has a store");
			break;
		}
		if (policy && kb->kb_queue && khttps_policy_proxy(policy) != KHTTPS_PROXY_OFF) {
			NL_SET_ERR_MSG(extack, "khttps: a PROXY header is for forward mode (a backend)");
			break;
		}
		if (cert)
			swap(kb->kb_cert, cert);
		if (pkey)
			swap(kb->kb_key, pkey);
		if (store)
			swap(kb->kb_store, store);
		if (policy) {
			swap(kb->kb_policy, policy);
			kb->kb_proxy = khttps_policy_proxy(kb->kb_policy);
			kb->kb_close_notify = khttps_policy_close_notify(kb->kb_policy);
			kb->kb_max_conns = khttps_policy_max_conns(kb->kb_policy);
		}
		if (chg->backend.ss_family)
			kb->kb_backend = chg->backend;
		khttps_binding_log(kb, "changed");
		err = 0;
		break;
	}
	mutex_unlock(&kn->kn_lock);
	if (err == -ENOENT)
		NL_SET_ERR_MSG(extack, "khttps: no binding matches");
out:
	/* The old values, or the unused new ones. */
	kfree(cert);
	kfree(pkey);
	kfree(store);
	kfree(policy);
	return err;
}
