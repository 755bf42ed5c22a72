// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: the close_notify policy's memory of sessions that ended cleanly.
 *
 * With close_notify on (the module parameter, or a binding's policy), a TLS
 * session may be resumed only after a connection of it ended cleanly: the
 * client sent close_notify, or the server closed first with its own and
 * the client neither truncated nor broke the connection.  The daemon puts
 * an opaque session token (random, chosen by khttpsd, carried inside its
 * encrypted session tickets) in DONE; when that connection ends, the kernel
 * records the token here if the end was clean and forgets it otherwise.
 * Before resuming a session on such a binding, a worker asks
 * (%KHTTPS_CMD_HS_SESSION): a token not here gets a full handshake.
 *
 * Tokens are no secret: the ticket that carries one is sealed with keys
 * only khttpsd holds.  The table lives as long as the namespace, so a
 * daemon restart keeps it; it is bounded by the max_sessions parameter,
 * the oldest entry dropping out first, and entries expire with the session
 * lifetime the daemon gave.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "khttps.h"

struct khttps_session {
	struct hlist_node ks_node;	/* kn_sessions[hash] */
	struct list_head ks_lru;	/* kn_session_lru, oldest first */
	unsigned long ks_expires;	/* jiffies */
	u8 ks_token[KHTTPS_SESSION_TOKEN_LEN];
};

/*
 * Entries come from a cache of their own, like connections: slabinfo
 * shows how many the namespaces remember (the soak test tells them from
 * a leak that way), and one left at unload makes kmem_cache_destroy()
 * complain.
 */
static struct kmem_cache *khttps_session_cache;

int __init khttps_session_cache_init(void)
{
	khttps_session_cache = KMEM_CACHE(khttps_session, SLAB_NO_MERGE);
	return khttps_session_cache ? 0 : -ENOMEM;
}

void khttps_session_cache_exit(void)
{
	kmem_cache_destroy(khttps_session_cache);
}

/**
 * khttps_policy_close_notify() - a binding's own close_notify policy
 * @policy: a checked %KHTTPS_A_POLICY, or NULL
 *
 * Return: 0 or 1, or -1 when it has none (the module's parameter decides).
 */
s8 khttps_policy_close_notify(const struct nlattr *policy)
{
	const struct nlattr *a = policy ? nla_find_nested(policy, KHTTPS_POLICY_A_CLOSE_NOTIFY) : NULL;

	return a ? nla_get_u8(a) : -1;
}

/**
 * khttps_binding_close_notify() - is @kb's close_notify policy on now?
 * @kb: the binding
 */
bool khttps_binding_close_notify(const struct khttps_binding *kb)
{
	return kb->kb_close_notify >= 0 ? kb->kb_close_notify : khttps_param(close_notify);
}

static struct hlist_head *khttps_session_bucket(struct khttps_net *kn, const u8 *token)
{
	u32 h = jhash(token, KHTTPS_SESSION_TOKEN_LEN, 0);

	return &kn->kn_sessions[hash_32(h, KHTTPS_SESSION_HASH_BITS)];
}

static struct khttps_session *khttps_session_find(struct khttps_net *kn, const u8 *token)
{
	struct khttps_session *ks;

	lockdep_assert_held(&kn->kn_slock);
	hlist_for_each_entry(ks, khttps_session_bucket(kn, token), ks_node)
		if (!memcmp(ks->ks_token, token, KHTTPS_SESSION_TOKEN_LEN))
			return ks;
	return NULL;
}

static void khttps_session_drop(struct khttps_net *kn, struct khttps_session *ks)
{
	lockdep_assert_held(&kn->kn_slock);
	hlist_del(&ks->ks_node);
	list_del(&ks->ks_lru);
	kn->kn_nsessions--;
	kmem_cache_free(khttps_session_cache, ks);
}

/**
 * khttps_session_end() - a connection of a tracked session ended
 * @kn: the namespace
 * @token: the session's token, from DONE
 * @clean: whether it ended cleanly (see the top of this file)
 * @life: seconds the session stays resumable after a clean end
 *
 * Context: process; takes kn_slock.
 */
void khttps_session_end(struct khttps_net *kn, const u8 *token, bool clean, unsigned int life)
{
	unsigned int max = khttps_param(max_sessions);
	struct khttps_session *ks, *fresh = NULL;

	if (clean && max)
		fresh = kmem_cache_zalloc(khttps_session_cache, GFP_KERNEL);
	spin_lock_bh(&kn->kn_slock);
	ks = khttps_session_find(kn, token);
	if (ks)
		khttps_session_drop(kn, ks);
	if (fresh) {
		while (kn->kn_nsessions >= max)
			khttps_session_drop(kn, list_first_entry(&kn->kn_session_lru,
								 struct khttps_session, ks_lru));
		memcpy(fresh->ks_token, token, KHTTPS_SESSION_TOKEN_LEN);
		fresh->ks_expires = jiffies + (unsigned long)life * HZ;
		hlist_add_head(&fresh->ks_node, khttps_session_bucket(kn, token));
		list_add_tail(&fresh->ks_lru, &kn->kn_session_lru);
		kn->kn_nsessions++;
	}
	spin_unlock_bh(&kn->kn_slock);
}

/**
 * khttps_session_resumable() - may the session with @token be resumed?
 * @kn: the namespace
 * @token: the token from the session's ticket
 *
 * Return: whether its last connection ended cleanly and it has not expired.
 * Context: any; takes kn_slock.
 */
bool khttps_session_resumable(struct khttps_net *kn, const u8 *token)
{
	struct khttps_session *ks;
	bool ok = false;

	spin_lock_bh(&kn->kn_slock);
	ks = khttps_session_find(kn, token);
	if (ks && time_before(jiffies, ks->ks_expires))
		ok = true;
	else if (ks)
		khttps_session_drop(kn, ks);
	spin_unlock_bh(&kn->kn_slock);
	return ok;
}

/**
 * khttps_session_init() - an empty table for a new namespace
 * @kn: the namespace
 */
void khttps_session_init(struct khttps_net *kn)
{
	spin_lock_init(&kn->kn_slock);
	hash_init(kn->kn_sessions);
	INIT_LIST_HEAD(&kn->kn_session_lru);
}

/**
 * khttps_session_flush() - forget every session (namespace exit)
 * @kn: the namespace
 */
void khttps_session_flush(struct khttps_net *kn)
{
	struct khttps_session *ks, *tmp;

	spin_lock_bh(&kn->kn_slock);
	list_for_each_entry_safe(ks, tmp, &kn->kn_session_lru, ks_lru)
		khttps_session_drop(kn, ks);
	spin_unlock_bh(&kn->kn_slock);
}
