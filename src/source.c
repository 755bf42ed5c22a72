// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: open connections per source address (max_conns_per_source).
 *
 * With the parameter set, a namespace counts its open connections (in their
 * handshake, established, queued, in either mode) by the client's address,
 * and one more from a source at the limit is refused at TCP accept and
 * counted (refused_source), as max_connections does for the namespace.  So
 * one client cannot take every handshake slot or connection by itself.
 *
 * IPv4 clients (IPv4-mapped IPv6 ones too) count by their address, IPv6
 * clients by their /64: a host is usually given a whole /64, and anyone
 * holding one can use each of its addresses.  Behind a load balancer or a
 * large NAT many clients share one source, so the limit is off (0) by
 * default.
 *
 * A connection counted at accept carries KHTTPS_CF_SOURCE and is uncounted
 * when it ends, so the parameter may change at any time: connections that
 * came while it was 0 are not counted.  An entry lives while its count is
 * above zero.  The table's hash is seeded per namespace, so clients cannot
 * choose addresses that all land in one bucket.  All under kn_lock.
 */
#include <linux/hashtable.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "khttps.h"

struct khttps_source {
	struct hlist_node kso_node;	/* kn_sources[hash] */
	struct in6_addr kso_addr;	/* the key: see above */
	unsigned int kso_conns;
};

/* The key of @ss: false for an address family that is not counted. */
static bool khttps_source_key(const struct sockaddr_storage *ss, struct in6_addr *key)
{
	const struct in6_addr *a6;

	switch (ss->ss_family) {
	case AF_INET:
		ipv6_addr_set_v4mapped(((const struct sockaddr_in *)ss)->sin_addr.s_addr, key);
		return true;
	case AF_INET6:
		a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (ipv6_addr_v4mapped(a6))
			*key = *a6;
		else
			ipv6_addr_prefix(key, a6, 64);
		return true;
	}
	return false;	/* AF_UNSPEC: getpeername failed, the client is gone */
}

static struct hlist_head *khttps_source_bucket(struct khttps_net *kn, const struct in6_addr *key)
{
	u32 h = jhash(key, sizeof(*key), kn->kn_source_seed);

	return &kn->kn_sources[hash_32(h, KHTTPS_SOURCE_HASH_BITS)];
}

static struct khttps_source *khttps_source_find(struct khttps_net *kn, const struct in6_addr *key)
{
	struct khttps_source *kso;

	hlist_for_each_entry(kso, khttps_source_bucket(kn, key), kso_node)
		if (ipv6_addr_equal(&kso->kso_addr, key))
			return kso;
	return NULL;
}

/**
 * khttps_source_admit() - count a new connection against its source's limit
 * @kc: the connection, its peer address known
 *
 * Return: false when its source is at max_conns_per_source (not counted);
 * true otherwise, counted when the limit is on (KHTTPS_CF_SOURCE).  Without
 * memory for a new source's entry the connection is admitted uncounted.
 * Context: kn_lock held; may sleep.
 */
bool khttps_source_admit(struct khttps_conn *kc)
{
	unsigned int max = khttps_param(max_conns_per_source);
	struct khttps_net *kn = kc->kc_kn;
	struct khttps_source *kso;
	struct in6_addr key;

	lockdep_assert_held(&kn->kn_lock);
	if (!max || !khttps_source_key(&kc->kc_peer, &key))
		return true;
	kso = khttps_source_find(kn, &key);
	if (kso && kso->kso_conns >= max)
		return false;
	if (!kso) {
		kso = kzalloc(sizeof(*kso), GFP_KERNEL);
		if (!kso)
			return true;
		kso->kso_addr = key;
		hlist_add_head(&kso->kso_node, khttps_source_bucket(kn, &key));
	}
	kso->kso_conns++;
	set_bit(KHTTPS_CF_SOURCE, &kc->kc_flags);
	return true;
}

/**
 * khttps_source_release() - a connection counted by its source ends
 * @kc: the connection; nothing happens unless it was counted
 *
 * Context: kn_lock held.
 */
void khttps_source_release(struct khttps_conn *kc)
{
	struct khttps_net *kn = kc->kc_kn;
	struct khttps_source *kso;
	struct in6_addr key;

	lockdep_assert_held(&kn->kn_lock);
	if (!test_and_clear_bit(KHTTPS_CF_SOURCE, &kc->kc_flags))
		return;
	khttps_source_key(&kc->kc_peer, &key);
	kso = khttps_source_find(kn, &key);
	if (WARN_ON_ONCE(!kso || !kso->kso_conns))
		return;
	if (--kso->kso_conns)
		return;
	hash_del(&kso->kso_node);
	kfree(kso);
}

/**
 * khttps_source_init() - an empty table for a new namespace
 * @kn: the namespace
 */
void khttps_source_init(struct khttps_net *kn)
{
	hash_init(kn->kn_sources);
	kn->kn_source_seed = get_random_u32();
}
