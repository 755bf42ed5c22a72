// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: module init and exit, module parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "khttps.h"

struct workqueue_struct *khttps_wq;
static unsigned int khttps_net_id __read_mostly;

struct khttps_params khttps_params = {
	.handshake_timeout_ms	= 10000,
	.max_pending_handshakes	= 1024,
	.max_connections	= 65536,
	.default_queue_len	= 128,
	.close_notify		= 1,
	.max_sessions		= 65536,
	.idle_timeout_ms	= 120000,
	.rx_expect_no_pad	= 1,
	.ready_retry_ms		= 50,
};

/*
 * An unsigned parameter with an inclusive range.  A write outside the range
 * (or not a number) fails with EINVAL and leaves the value as it was, both
 * at load time and through /sys/module/khttps/parameters/.
 */
struct khttps_uint_param {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
};

/* Ten admin lines per five seconds, then "N callbacks suppressed". */
DEFINE_RATELIMIT_STATE(khttps_admin_rs, 5 * HZ, 10);

static int khttps_param_set_uint(const char *buf, const struct kernel_param *kp)
{
	const struct khttps_uint_param *p = kp->arg;
	unsigned int v, old;

	if (kstrtouint(buf, 0, &v) || v < p->min || v > p->max)
		return -EINVAL;
	old = xchg(p->val, v);
	if (old != v)
		khttps_admin_log("%s set to %u (was %u)\n", kp->name, v, old);
	return 0;
}

static int khttps_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct khttps_uint_param *p = kp->arg;

	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(*p->val));
}

static const struct kernel_param_ops khttps_uint_param_ops = {
	.set = khttps_param_set_uint,
	.get = khttps_param_get_uint,
};

#define KHTTPS_UINT_PARAM(name, lo, hi, desc)					\
	static const struct khttps_uint_param khttps_param_##name = {		\
		.val = &khttps_params.name, .min = (lo), .max = (hi),		\
	};									\
	module_param_cb(name, &khttps_uint_param_ops,				\
			(void *)&khttps_param_##name, 0644);			\
	MODULE_PARM_DESC(name, desc " (range " #lo ".." #hi ")")

KHTTPS_UINT_PARAM(handshake_timeout_ms, 100, 600000,
		  "Milliseconds a connection may spend in its TLS handshake, default 10000");
KHTTPS_UINT_PARAM(max_pending_handshakes, 1, 1048576,
		  "Connections waiting for or in a handshake, per network namespace, default 1024");
KHTTPS_UINT_PARAM(max_connections, 1, 4194304,
		  "Connections per network namespace, default 65536");
KHTTPS_UINT_PARAM(default_queue_len, 1, 65535,
		  "Connections an accept queue holds for its application (read live), default 128");
KHTTPS_UINT_PARAM(close_notify, 0, 1,
		  "Bindings without their own close_notify policy: 1 sends close_notify and lets a session resume only after a clean end, 0 neither; default 1");
KHTTPS_UINT_PARAM(idle_timeout_ms, 0, 86400000,
		  "Milliseconds a forward-mode connection may pass without plaintext either way, or a queued one wait for an application, before it is closed (0: never), default 120000");
KHTTPS_UINT_PARAM(max_conns_per_source, 0, 4194304,
		  "Open connections per client address (an IPv6 client's /64) per network namespace (0: no limit), default 0");
KHTTPS_UINT_PARAM(max_sessions, 0, 4194304,
		  "Cleanly ended sessions remembered per network namespace for the close_notify policy (oldest dropped first), default 65536");
KHTTPS_UINT_PARAM(rx_expect_no_pad, 0, 1,
		  "TLS 1.3 connections from now on: 1 has kTLS decrypt records straight into the reader's pages, expecting clients not to pad them (a padded record is decrypted again, correctly), 0 decrypts into a kernel buffer and copies; default 1");

KHTTPS_UINT_PARAM(ready_retry_ms, 1, 10000,
		  "Milliseconds a READY sent to one khttpsd worker may go without any worker taking a connection before every worker is told, default 50");

/**
 * khttps_net() - the khttps state of a network namespace
 * @net: the namespace
 *
 * Return: its &struct khttps_net, valid until the namespace's pernet exit.
 */
struct khttps_net *khttps_net(const struct net *net)
{
	return net_generic(net, khttps_net_id);
}

static int __net_init khttps_net_init(struct net *net)
{
	struct khttps_net *kn = khttps_net(net);

	kn->kn_net = net;
	mutex_init(&kn->kn_lock);
	INIT_LIST_HEAD(&kn->kn_bindings);
	INIT_LIST_HEAD(&kn->kn_listeners);
	INIT_LIST_HEAD(&kn->kn_pending);
	spin_lock_init(&kn->kn_qlock);
	INIT_LIST_HEAD(&kn->kn_queues);
	xa_init(&kn->kn_conns);
	xa_init(&kn->kn_workers);
	INIT_DELAYED_WORK(&kn->kn_poke_check, khttps_netlink_poke_check);
	khttps_session_init(kn);
	khttps_source_init(kn);
	khttps_conn_idle_init(kn);
	return 0;
}

/*
 * The namespace is going away (or the module is): close listeners first so
 * nothing new arrives, then every connection.
 */
static void __net_exit khttps_net_pre_exit(struct net *net)
{
	struct khttps_net *kn = khttps_net(net);

	mutex_lock(&kn->kn_lock);
	kn->kn_dying = true;
	mutex_unlock(&kn->kn_lock);
	khttps_binding_del_all(kn);
	khttps_conn_close_all(kn);
	/* Dying: the sweep does not queue itself again. */
	cancel_delayed_work_sync(&kn->kn_idle_work);
	/* Nothing waits any more, so no READY arms the check again. */
	cancel_delayed_work_sync(&kn->kn_poke_check);
}

static void __net_exit khttps_net_exit(struct net *net)
{
	struct khttps_net *kn = khttps_net(net);

	WARN_ON_ONCE(!xa_empty(&kn->kn_conns));
	WARN_ON_ONCE(!list_empty(&kn->kn_queues));
	WARN_ON_ONCE(!hash_empty(kn->kn_sources));
	xa_destroy(&kn->kn_conns);
	/* Module unload: the workers' sockets outlive the namespace's state. */
	khttps_netlink_forget_workers(kn);
	khttps_session_flush(kn);
	mutex_destroy(&kn->kn_lock);
}

static struct pernet_operations khttps_net_ops = {
	.init		= khttps_net_init,
	.pre_exit	= khttps_net_pre_exit,
	.exit		= khttps_net_exit,
	.id		= &khttps_net_id,
	.size		= sizeof(struct khttps_net),
};

static int __init khttps_init(void)
{
	int err;

	/*
	 * insmod ignores softdeps, and autoloading the "tls" ULP later would
	 * need CAP_NET_ADMIN in whatever task sets it: load it now.
	 */
	err = request_module("tls");
	if (err)
		pr_warn("could not load the tls module (%d): TLS offload will fail until it is loaded\n",
			err);

	err = khttps_conn_cache_init();
	if (err)
		return err;
	err = khttps_session_cache_init();
	if (err)
		goto err_session;
	khttps_wq = alloc_workqueue("khttps", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!khttps_wq) {
		err = -ENOMEM;
		goto err_wq;
	}
	khttps_relay_init();
	err = register_pernet_subsys(&khttps_net_ops);
	if (err)
		goto err_pernet;
	err = khttps_netlink_init();
	if (err)
		goto err_netlink;
	err = khttps_queue_init();
	if (err)
		goto err_queue;

	pr_info("version %s loaded\n", THIS_MODULE->version);
	return 0;

err_queue:
	khttps_netlink_exit();
err_netlink:
	unregister_pernet_subsys(&khttps_net_ops);
err_pernet:
	destroy_workqueue(khttps_wq);
err_wq:
	khttps_session_cache_exit();
err_session:
	khttps_conn_cache_exit();
	return err;
}

static void __exit khttps_exit(void)
{
	/*
	 * No new requests, then every namespace torn down, then no work left.
	 * No /dev/khttps file and no application socket is open: each holds
	 * a module reference.
	 */
	khttps_queue_exit();
	khttps_netlink_exit();
	unregister_pernet_subsys(&khttps_net_ops);
	destroy_workqueue(khttps_wq);
	khttps_session_cache_exit();
	khttps_conn_cache_exit();
	pr_info("unloaded\n");
}

module_init(khttps_init);
module_exit(khttps_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The khttps authors");
MODULE_DESCRIPTION("Kernel-mode HTTPS: kernel-owned listeners and kTLS records, handshakes upcalled to khttpsd");
MODULE_VERSION(KHTTPS_VERSION);
MODULE_SOFTDEP("pre: tls");
