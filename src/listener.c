// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: bindings and their kernel-owned listening sockets.
 *
 * A listener's sk_data_ready only queues the binding's accept work, which
 * accepts in kernel until the backlog is empty.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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

static void khttps_listen_data_ready(struct sock *sk)
{
	struct khttps_binding *kb;

	rcu_read_lock();
	kb = rcu_dereference_sk_user_data(sk);
	if (kb)
		queue_work(khttps_wq, &kb->kb_accept_work);
	rcu_read_unlock();
}

static void khttps_accept_work(struct work_struct *work)
{
	struct khttps_binding *kb = container_of(work, struct khttps_binding, kb_accept_work);
	struct socket *sock, *newsock;
	struct sock *sk;

	/* khttps_unlisten() clears kb_sock, then waits for this work. */
	while ((sock = READ_ONCE(kb->kb_sock)) &&
	       !kernel_accept(sock, &newsock, O_NONBLOCK)) {
		/* The child was cloned from the listener: take our hooks off it. */
		sk = newsock->sk;
		write_lock_bh(&sk->sk_callback_lock);
		rcu_assign_sk_user_data(sk, NULL);
		sk->sk_data_ready = kb->kb_saved_data_ready;
		write_unlock_bh(&sk->sk_callback_lock);
		khttps_conn_new(kb, newsock);
		cond_resched();
	}
}

static void khttps_binding_free(struct khttps_binding *kb)
{
	if (kb->kb_queue)
		khttps_queue_put(kb->kb_queue);
	kfree(kb->kb_cert);
	kfree(kb->kb_key);
	kfree(kb);
}

/**
 * khttps_binding_put() - drop a reference; the last one frees the binding
 * @kb: the binding
 *
 * Context: any.
 */
void khttps_binding_put(struct khttps_binding *kb)
{
	if (refcount_dec_and_test(&kb->kb_ref))
		khttps_binding_free(kb);
}

static void khttps_unlisten(struct khttps_binding *kb)
{
	struct socket *sock = kb->kb_sock;
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	sk->sk_data_ready = kb->kb_saved_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(kb->kb_sock, NULL);
	/* The accept work may be between its check and kernel_accept. */
	cancel_work_sync(&kb->kb_accept_work);
	synchronize_rcu();
	sock_release(sock);
}

static int khttps_listen(struct khttps_net *kn, struct khttps_binding *kb,
			 struct netlink_ext_ack *extack)
{
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(kn->kn_net, kb->kb_addr.ss_family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: cannot create a listening socket (%d)", err);
		return err;
	}
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	/* [::] must leave 0.0.0.0 on the same port to its own binding. */
	if (kb->kb_addr.ss_family == AF_INET6)
		ip6_sock_set_v6only(sk);
	err = kernel_bind(sock, (struct sockaddr *)&kb->kb_addr, khttps_addr_len(&kb->kb_addr));
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: cannot bind the address: %s",
				   err == -EADDRINUSE ? "the port is in use" :
				   err == -EADDRNOTAVAIL ? "no such local address" : "bind failed");
		goto err_sock;
	}
	kb->kb_sock = sock;
	write_lock_bh(&sk->sk_callback_lock);
	kb->kb_saved_data_ready = sk->sk_data_ready;
	__rcu_assign_sk_user_data_with_flags(sk, kb, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = khttps_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	err = kernel_listen(sock, KHTTPS_LISTEN_BACKLOG);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: listen failed (%d)", err);
		khttps_unlisten(kb);
		return err;
	}
	return 0;

err_sock:
	sock_release(sock);
	return err;
}

/**
 * khttps_listener_add() - create a binding and start listening
 * @kn: the namespace
 * @cfg: what the binding is; strings are copied
 * @extack: where to say what was wrong
 *
 * Return: 0, -EEXIST for a binding on the same address and port,
 * -EADDRINUSE when another socket has the port, or another negative errno.
 * Context: process; takes kn_lock.
 */
int khttps_listener_add(struct khttps_net *kn, const struct khttps_binding_cfg *cfg,
			struct netlink_ext_ack *extack)
{
	struct khttps_binding *kb, *it;
	int err;

	kb = kzalloc(sizeof(*kb), GFP_KERNEL);
	if (!kb)
		return -ENOMEM;
	refcount_set(&kb->kb_ref, 1);
	kb->kb_kn = kn;
	kb->kb_addr = cfg->addr;
	kb->kb_backend = cfg->backend;
	INIT_WORK(&kb->kb_accept_work, khttps_accept_work);
	kb->kb_cert = kstrdup(cfg->cert, GFP_KERNEL);
	kb->kb_key = kstrdup(cfg->key, GFP_KERNEL);
	if (!kb->kb_cert || !kb->kb_key) {
		err = -ENOMEM;
		goto err_free;
	}
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
		if (khttps_addr_equal(&it->kb_addr, &kb->kb_addr)) {
			NL_SET_ERR_MSG(extack, "khttps: a binding for this address and port exists");
			err = -EEXIST;
			goto err_unlock;
		}
	}
	err = kn->kn_dying ? -ENODEV : khttps_listen(kn, kb, extack);
	if (err)
		goto err_unlock;
	list_add_tail(&kb->kb_list, &kn->kn_bindings);
	mutex_unlock(&kn->kn_lock);
	return 0;

err_unlock:
	mutex_unlock(&kn->kn_lock);
err_free:
	khttps_binding_free(kb);
	return err;
}

/**
 * khttps_listener_del() - delete a binding and close its listener
 * @kn: the namespace
 * @addr: the binding's address and port
 *
 * Connections already accepted go on and keep the binding's counters alive.
 *
 * Return: 0 or -ENOENT.
 * Context: process; takes kn_lock.
 */
int khttps_listener_del(struct khttps_net *kn, const struct sockaddr_storage *addr)
{
	struct khttps_binding *kb, *found = NULL;

	mutex_lock(&kn->kn_lock);
	list_for_each_entry(kb, &kn->kn_bindings, kb_list) {
		if (khttps_addr_equal(&kb->kb_addr, addr)) {
			found = kb;
			list_del(&kb->kb_list);
			break;
		}
	}
	mutex_unlock(&kn->kn_lock);
	if (!found)
		return -ENOENT;
	/* Outside kn_lock: the accept work takes it. */
	khttps_unlisten(found);
	khttps_binding_put(found);
	return 0;
}

/**
 * khttps_listener_del_all() - delete every binding of a namespace
 * @kn: the namespace
 *
 * Context: process; takes kn_lock.
 */
void khttps_listener_del_all(struct khttps_net *kn)
{
	struct khttps_binding *kb;

	for (;;) {
		mutex_lock(&kn->kn_lock);
		kb = list_first_entry_or_null(&kn->kn_bindings, struct khttps_binding, kb_list);
		if (kb)
			list_del(&kb->kb_list);
		mutex_unlock(&kn->kn_lock);
		if (!kb)
			return;
		khttps_unlisten(kb);
		khttps_binding_put(kb);
	}
}
