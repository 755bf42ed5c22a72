/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttps: the two kernels it supports, Debian 12's 6.12 (written for, what
 * CI runs) and Debian 12's default 6.1.  Each shim below gives 6.1 the 6.12
 * name of what it lacks (the upstream release that added it in brackets);
 * README "Kernels" lists what 6.1 users lose.  Debian's 6.1 backports some
 * of these (bvec_set_page, GENL_MCAST_CAP_NET_ADMIN, the MSG_SPLICE_PAGES
 * name), so the checks are on the release, not on the symbols.
 */
#ifndef _KHTTPS_COMPAT_H
#define _KHTTPS_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>
#include <net/sock.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0))
#error "khttps builds on Linux 6.1 and 6.12 or later"
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <asm/unaligned.h>			/* moved to linux/ in 6.12 */
#else
#include <linux/unaligned.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* Formatted extack messages [6.2]: 6.1 replies with the format itself. */
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) \
	do { NL_SET_ERR_MSG(extack, fmt); no_printk(fmt, ##args); } while (0)
#define NL_SET_ERR_MSG_ATTR_FMT(extack, attr, fmt, args...) \
	do { NL_SET_ERR_MSG_ATTR(extack, attr, fmt); no_printk(fmt, ##args); } while (0)

/* Split ops [6.2]: 6.1's pre_doit is given the whole op. */
#define genl_split_ops genl_ops

/* A reply header from the request [6.6]; genl_info has no family on 6.1. */
#define genlmsg_iput(skb, info) \
	genlmsg_put(skb, (info)->snd_portid, (info)->snd_seq, &khttps_genl_family, 0, \
		    (info)->genlhdr->cmd)

/* A kernel socket that user space will hold keeps its netns [6.14, in 6.12.y]. */
static inline void sk_net_refcnt_upgrade(struct sock *sk)
{
	if (sk->sk_net_refcnt)
		return;
	sk->sk_net_refcnt = 1;
	get_net_track(sock_net(sk), &sk->ns_tracker, GFP_KERNEL);
	sock_inuse_add(sock_net(sk), 1);
}

/* The inverse of the above: on 6.1 a kernel socket holds nothing of its netns. */
static inline void khttps_sk_net_refcnt_downgrade(struct sock *sk)
{
	sk->sk_net_refcnt = 0;
	sock_inuse_add(sock_net(sk), -1);
	put_net_track(sock_net(sk), &sk->ns_tracker);
}

/*
 * Sending pages by reference [6.5]: 6.1's kTLS refuses MSG_SPLICE_PAGES
 * (EOPNOTSUPP) and its TCP ignores it, so the relay sends them by copy.
 */
#define KHTTPS_MSG_SPLICE_PAGES	0
#define KHTTPS_HAVE_SENDPAGE	1
#else
/*
 * The inverse of sk_net_refcnt_upgrade(): a kernel socket holds a passive
 * reference (the struct net stays, its contents may go) and an untracked
 * one.  The passive one is taken before the real one is dropped, which may
 * start the namespace's dismantling.
 */
static inline void khttps_sk_net_refcnt_downgrade(struct sock *sk)
{
	struct net *net = sock_net(sk);

	net_passive_inc(net);
	sk->sk_net_refcnt = 0;
	sock_inuse_add(net, -1);
	put_net_track(net, &sk->ns_tracker);
	__netns_tracker_alloc(net, &sk->ns_tracker, false, GFP_KERNEL);
}
#define KHTTPS_MSG_SPLICE_PAGES	MSG_SPLICE_PAGES
#define KHTTPS_HAVE_SENDPAGE	0
#endif

/* Before 6.5 (slub_debug, on in the test guest, keeps caches apart anyway). */
#ifndef SLAB_NO_MERGE
#define SLAB_NO_MERGE 0
#endif

#endif /* _KHTTPS_COMPAT_H */
