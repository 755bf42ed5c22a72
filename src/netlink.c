// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: the "khttps" generic-netlink family.
 *
 * Every command and multicast group is admin-only: CAP_NET_ADMIN in the
 * initial user namespace, held by the sending task (GENL_ADMIN_PERM) and by
 * whoever opened the netlink socket (khttps_nl_pre_doit: GENL_ADMIN_PERM
 * skips the opener when the sender names the kernel as its destination).
 * The family is netns-aware; each request acts on the namespace of the
 * socket it came in on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/module.h>
#include <linux/utsname.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "khttps.h"

static struct genl_family khttps_genl_family;

/*
 * Every request may name the API version it was built for; refuse any other,
 * so that mismatched builds fail with a message rather than misread attributes.
 */
static int khttps_nl_check_api(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[KHTTPS_A_API_VERSION];
	u32 v;

	if (!attr)
		return 0;
	v = nla_get_u32(attr);
	if (v != KHTTPS_API_VERSION) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, attr,
					"khttps API version %u not supported: this module speaks version %u",
					v, KHTTPS_API_VERSION);
		return -EPROTO;
	}
	return 0;
}

/*
 * af_netlink checks the socket's opener only when the sender gave no
 * destination address (NETLINK_SKB_DST), so a privileged task could use a
 * socket that an unprivileged one opened and handed over.  Check it always.
 */
static int khttps_nl_pre_doit(const struct genl_split_ops *ops, struct sk_buff *skb,
			      struct genl_info *info)
{
	struct sock *sk = NETLINK_CB(skb).sk;
	struct socket *sock = sk ? sk->sk_socket : NULL;

	if (!sock || !sock->file ||
	    !file_ns_capable(sock->file, &init_user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(info->extack,
			       "khttps: the netlink socket was opened without CAP_NET_ADMIN");
		return -EPERM;
	}
	return 0;
}

static const struct nla_policy khttps_version_policy[KHTTPS_A_MAX + 1] = {
	[KHTTPS_A_API_VERSION] = { .type = NLA_U32 },
};

static int khttps_nl_version_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = khttps_nl_check_api(info);
	if (err)
		return err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_iput(msg, info);
	if (!hdr)
		goto err_put;
	if (nla_put_u32(msg, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION) ||
	    nla_put_string(msg, KHTTPS_A_MODULE_VERSION, KHTTPS_VERSION) ||
	    nla_put_string(msg, KHTTPS_A_KERNEL_RELEASE, init_utsname()->release) ||
	    nla_put_u32(msg, KHTTPS_A_CAPS, KHTTPS_CAPS_IMPLEMENTED))
		goto err_put;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_put:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static const struct genl_ops khttps_genl_ops[] = {
	{
		.cmd	= KHTTPS_CMD_VERSION_GET,
		.doit	= khttps_nl_version_doit,
		.policy	= khttps_version_policy,
		.maxattr = KHTTPS_A_MAX,
		.flags	= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group khttps_genl_mcgrps[] = {
	{ .name = KHTTPS_MCGRP_HANDSHAKE, .flags = GENL_MCAST_CAP_NET_ADMIN },
	{ .name = KHTTPS_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static struct genl_family khttps_genl_family __ro_after_init = {
	.name		= KHTTPS_GENL_NAME,
	.version	= KHTTPS_API_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.pre_doit	= khttps_nl_pre_doit,
	.ops		= khttps_genl_ops,
	.n_ops		= ARRAY_SIZE(khttps_genl_ops),
	.resv_start_op	= KHTTPS_CMD_MAX + 1,
	.mcgrps		= khttps_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(khttps_genl_mcgrps),
};

/**
 * khttps_netlink_init() - register the khttps generic-netlink family
 *
 * Context: module init.
 * Return: 0 or a negative errno from genl_register_family().
 */
int __init khttps_netlink_init(void)
{
	return genl_register_family(&khttps_genl_family);
}

/**
 * khttps_netlink_exit() - unregister the family
 *
 * Context: module exit; no request is in flight once this returns.
 */
void khttps_netlink_exit(void)
{
	genl_unregister_family(&khttps_genl_family);
}

/* Lets a genl lookup of "khttps" autoload the module. */
MODULE_ALIAS_GENL_FAMILY(KHTTPS_GENL_NAME);
