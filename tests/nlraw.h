/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw generic-netlink helpers for tests: they build requests byte by byte,
 * so tests can send exactly the malformed messages they mean to.
 */
#ifndef KHTTPS_TEST_NLRAW_H
#define KHTTPS_TEST_NLRAW_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct nlraw_msg {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[4096];
};

struct nlraw_reply {
	int error;		/* 0 or negative errno from the kernel */
	char extack[256];	/* NLMSGERR_ATTR_MSG, if any */
	char data[8192];	/* the reply message, if any */
	int len;
};

static inline int nlraw_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static inline void nlraw_init(struct nlraw_msg *m, uint16_t family, uint8_t cmd)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = family;
	m->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m->n.nlmsg_seq = 1;
	m->g.cmd = cmd;
	m->g.version = 1;
}

static inline void nlraw_put(struct nlraw_msg *m, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static inline void nlraw_put_u32(struct nlraw_msg *m, uint16_t type, uint32_t v)
{
	nlraw_put(m, type, &v, sizeof(v));
}

/* Send @m and read until its ACK or error; a data reply is kept in @r. */
static inline int nlraw_talk(int fd, struct nlraw_msg *m, struct nlraw_reply *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[16384];

	memset(r, 0, sizeof(*r));
	if (sendto(fd, m, m->n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				size_t off = NLMSG_HDRLEN + sizeof(*e);

				r->error = e->error;
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - NLMSG_HDRLEN;
				while ((h->nlmsg_flags & NLM_F_ACK_TLVS) &&
				       off + NLA_HDRLEN <= h->nlmsg_len) {
					struct nlattr *a = (struct nlattr *)((char *)h + off);

					if (a->nla_len < NLA_HDRLEN)
						break;
					if (a->nla_type == NLMSGERR_ATTR_MSG)
						snprintf(r->extack, sizeof(r->extack), "%.*s",
							 (int)(a->nla_len - NLA_HDRLEN),
							 (char *)a + NLA_HDRLEN);
					off += NLA_ALIGN(a->nla_len);
				}
				return 0;
			}
			if (h->nlmsg_len <= sizeof(r->data)) {
				memcpy(r->data, h, h->nlmsg_len);
				r->len = (int)h->nlmsg_len;
			}
		}
	}
}

/* Find attribute @type in the genl reply kept in @r. */
static inline struct nlattr *nlraw_attr(struct nlraw_reply *r, uint16_t type)
{
	int off = NLMSG_HDRLEN + GENL_HDRLEN;

	while (off + NLA_HDRLEN <= r->len) {
		struct nlattr *a = (struct nlattr *)(r->data + off);

		if (a->nla_len < NLA_HDRLEN)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

#define nlraw_data(a) ((void *)((char *)(a) + NLA_HDRLEN))

/* Family id of @name (0 when absent); @groups gets "name=id name=id ...". */
static inline int nlraw_family(int fd, const char *name, char *groups, size_t glen,
			       uint32_t *version)
{
	struct nlraw_msg m;
	struct nlraw_reply r;
	struct nlattr *a;
	int err, off, end;

	nlraw_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	nlraw_put(&m, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	err = nlraw_talk(fd, &m, &r);
	if (err || r.error)
		return 0;
	if (groups) {
		groups[0] = '\0';
		a = nlraw_attr(&r, CTRL_ATTR_MCAST_GROUPS);
		/* A nest of nests, each holding a name and an id. */
		for (off = NLA_HDRLEN, end = a ? a->nla_len : 0; off + NLA_HDRLEN <= end;) {
			struct nlattr *g = (struct nlattr *)((char *)a + off), *x;
			const char *gname = NULL;
			uint32_t gid = 0;
			int goff;

			for (goff = NLA_HDRLEN; goff + NLA_HDRLEN <= g->nla_len;
			     goff += NLA_ALIGN(x->nla_len)) {
				x = (struct nlattr *)((char *)g + goff);
				if (x->nla_len < NLA_HDRLEN)
					break;
				if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					gname = nlraw_data(x);
				else if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					gid = *(uint32_t *)nlraw_data(x);
			}
			if (gname)
				snprintf(groups + strlen(groups), glen - strlen(groups),
					 "%s%s=%u", groups[0] ? " " : "", gname, gid);
			if (g->nla_len < NLA_HDRLEN)
				break;
			off += NLA_ALIGN(g->nla_len);
		}
	}
	if (version && (a = nlraw_attr(&r, CTRL_ATTR_VERSION)))
		*version = *(uint32_t *)nlraw_data(a);
	a = nlraw_attr(&r, CTRL_ATTR_FAMILY_ID);
	return a ? *(uint16_t *)nlraw_data(a) : 0;
}

#endif /* KHTTPS_TEST_NLRAW_H */
