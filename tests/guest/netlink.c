// SPDX-License-Identifier: GPL-2.0
/*
 * The khttps generic-netlink family: it resolves, answers VERSION_GET,
 * refuses callers without CAP_NET_ADMIN (opener and sender both), refuses
 * malformed requests with an extack message, and works in any netns.
 */
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <linux/khttps.h>

#include "../harness.h"
#include "../nlraw.h"

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1U << CAP_NET_ADMIN);
	d[0].permitted &= ~(1U << CAP_NET_ADMIN);
	d[0].inheritable &= ~(1U << CAP_NET_ADMIN);
	return (int)syscall(SYS_capset, &h, d);
}

static int version_get(int fd, uint16_t family, struct nlraw_reply *r)
{
	struct nlraw_msg m;

	nlraw_init(&m, family, KHTTPS_CMD_VERSION_GET);
	nlraw_put_u32(&m, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION);
	return nlraw_talk(fd, &m, r);
}

FIXTURE(nl) { int fd; uint16_t family; char groups[256]; uint32_t version; };
FIXTURE_SETUP(nl)
{
	self->fd = nlraw_open();
	ASSERT_GE(self->fd, 0);
	self->family = (uint16_t)nlraw_family(self->fd, KHTTPS_GENL_NAME, self->groups,
					      sizeof(self->groups), &self->version);
	ASSERT_NE(self->family, 0);
}
FIXTURE_TEARDOWN(nl) { close(self->fd); }

TEST_F(nl, family_has_admin_groups_and_version)
{
	EXPECT_EQ(self->version, (uint32_t)KHTTPS_API_VERSION);
	EXPECT_TRUE(strstr(self->groups, KHTTPS_MCGRP_HANDSHAKE "=") != NULL);
	EXPECT_TRUE(strstr(self->groups, KHTTPS_MCGRP_EVENTS "=") != NULL);
	TH_LOG("groups: %s", self->groups);
}

TEST_F(nl, version_reply_matches_module)
{
	struct nlraw_reply r;
	struct nlattr *a;
	struct utsname u;
	char sysver[64] = "";
	FILE *f = fopen("/sys/module/khttps/version", "r");

	ASSERT_TRUE(f != NULL);
	ASSERT_TRUE(fgets(sysver, sizeof(sysver), f) != NULL);
	fclose(f);
	sysver[strcspn(sysver, "\n")] = '\0';
	uname(&u);

	ASSERT_EQ(version_get(self->fd, self->family, &r), 0);
	ASSERT_EQ(r.error, 0);
	ASSERT_TRUE((a = nlraw_attr(&r, KHTTPS_A_MODULE_VERSION)) != NULL);
	EXPECT_STREQ((char *)nlraw_data(a), sysver);
	ASSERT_TRUE((a = nlraw_attr(&r, KHTTPS_A_API_VERSION)) != NULL);
	EXPECT_EQ(*(uint32_t *)nlraw_data(a), (uint32_t)KHTTPS_API_VERSION);
	ASSERT_TRUE((a = nlraw_attr(&r, KHTTPS_A_KERNEL_RELEASE)) != NULL);
	EXPECT_STREQ((char *)nlraw_data(a), u.release);
	EXPECT_TRUE(nlraw_attr(&r, KHTTPS_A_CAPS) != NULL);
}

TEST_F(nl, unknown_attribute_gets_extack)
{
	struct nlraw_msg m;
	struct nlraw_reply r;

	nlraw_init(&m, self->family, KHTTPS_CMD_VERSION_GET);
	nlraw_put_u32(&m, 200, 1);
	ASSERT_EQ(nlraw_talk(self->fd, &m, &r), 0);
	EXPECT_EQ(r.error, -EINVAL);
	EXPECT_NE(r.extack[0], '\0');
	TH_LOG("extack: %s", r.extack);
}

TEST_F(nl, short_attribute_gets_extack)
{
	struct nlraw_msg m;
	struct nlraw_reply r;
	uint16_t v = 1;

	nlraw_init(&m, self->family, KHTTPS_CMD_VERSION_GET);
	nlraw_put(&m, KHTTPS_A_API_VERSION, &v, sizeof(v));
	ASSERT_EQ(nlraw_talk(self->fd, &m, &r), 0);
	EXPECT_EQ(r.error, -EINVAL);
	EXPECT_NE(r.extack[0], '\0');
	TH_LOG("extack: %s", r.extack);
}

TEST_F(nl, other_api_version_refused_with_reason)
{
	struct nlraw_msg m;
	struct nlraw_reply r;

	nlraw_init(&m, self->family, KHTTPS_CMD_VERSION_GET);
	nlraw_put_u32(&m, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION + 98);
	ASSERT_EQ(nlraw_talk(self->fd, &m, &r), 0);
	EXPECT_EQ(r.error, -EPROTO);
	EXPECT_TRUE(strstr(r.extack, "not supported") != NULL);
	TH_LOG("extack: %s", r.extack);
}

TEST_F(nl, unknown_command_refused)
{
	struct nlraw_msg m;
	struct nlraw_reply r;

	nlraw_init(&m, self->family, KHTTPS_CMD_MAX + 7);
	ASSERT_EQ(nlraw_talk(self->fd, &m, &r), 0);
	EXPECT_EQ(r.error, -EOPNOTSUPP);
}

TEST_F(nl, sender_without_net_admin_gets_eperm)
{
	struct nlraw_reply r;

	/* The socket was opened with the capability; the sender drops it. */
	ASSERT_EQ(drop_net_admin(), 0);
	ASSERT_EQ(version_get(self->fd, self->family, &r), 0);
	EXPECT_EQ(r.error, -EPERM);
}

TEST_F(nl, opener_without_net_admin_gets_eperm)
{
	struct nlraw_reply r;
	int sv[2], fd, status;
	char c = 0;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	pid_t pid;

	/* An unprivileged child opens the socket and hands it to us. */
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (drop_net_admin())
			_exit(1);
		fd = nlraw_open();
		memset(cbuf, 0, sizeof(cbuf));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(recvmsg(sv[0], &mh, 0), 1);
	waitpid(pid, &status, 0);
	ASSERT_EQ(status, 0);
	cm = CMSG_FIRSTHDR(&mh);
	ASSERT_TRUE(cm != NULL);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	ASSERT_EQ(version_get(fd, self->family, &r), 0);
	EXPECT_EQ(r.error, -EPERM);
	close(fd);
}

TEST_F(nl, nobody_gets_eperm)
{
	struct nlraw_reply r;
	int fd;

	ASSERT_EQ(setgid(65534), 0);
	ASSERT_EQ(setuid(65534), 0);
	fd = nlraw_open();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(version_get(fd, self->family, &r), 0);
	EXPECT_EQ(r.error, -EPERM);
	close(fd);
}

static int group_id(const char *groups, const char *name)
{
	const char *p = strstr(groups, name);

	return p ? atoi(p + strlen(name) + 1) : -1;
}

TEST_F(nl, multicast_join_needs_net_admin)
{
	int id = group_id(self->groups, KHTTPS_MCGRP_HANDSHAKE);
	int fd = nlraw_open();

	ASSERT_GT(id, 0);
	ASSERT_GE(fd, 0);
	/* Privileged: allowed. */
	EXPECT_EQ(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &id, sizeof(id)), 0);
	close(fd);
	ASSERT_EQ(drop_net_admin(), 0);
	fd = nlraw_open();
	ASSERT_GE(fd, 0);
	EXPECT_EQ(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &id, sizeof(id)), -1);
	EXPECT_EQ(errno, EPERM);
	id = group_id(self->groups, KHTTPS_MCGRP_EVENTS);
	EXPECT_EQ(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &id, sizeof(id)), -1);
	EXPECT_EQ(errno, EPERM);
	close(fd);
}

TEST(family_works_in_a_new_netns)
{
	struct nlraw_reply r;
	uint16_t family;
	int fd;

	ASSERT_EQ(unshare(CLONE_NEWNET), 0);
	fd = nlraw_open();
	ASSERT_GE(fd, 0);
	family = (uint16_t)nlraw_family(fd, KHTTPS_GENL_NAME, NULL, 0, NULL);
	ASSERT_NE(family, 0);
	ASSERT_EQ(version_get(fd, family, &r), 0);
	EXPECT_EQ(r.error, 0);
	EXPECT_TRUE(nlraw_attr(&r, KHTTPS_A_MODULE_VERSION) != NULL);
	close(fd);
}

TEST_HARNESS_MAIN
