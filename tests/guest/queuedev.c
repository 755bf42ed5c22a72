// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/khttps without traffic: attaching needs a queue that a binding
 * names, in the caller's network namespace, and CAP_NET_ADMIN or the
 * queue's user or group; bad arguments get EINVAL; accept waits, or says
 * EAGAIN, EINTR, EBADFD as it should; poll tells whether a connection waits.
 * (Connections through queues are in queue.sh.)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/khttps.h>

#include "../harness.h"

#define NOBODY 65534

static int ctl(const char *args)
{
	char cmd[1024];
	const char *src = getenv("KHTTPS_SRC");

	snprintf(cmd, sizeof(cmd), "%s/build/khttpsctl %s", src ? src : ".", args);
	return system(cmd);
}

/* Run khttpsctl with ARGS, its output (stdout and stderr) into @out. */
static int ctl_out(const char *args, char *out, size_t len)
{
	char cmd[1024];
	const char *src = getenv("KHTTPS_SRC");
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/build/khttpsctl %s 2>&1", src ? src : ".", args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < len && fgets(out + n, len - n, p))
		n += strlen(out + n);
	out[n] = '\0';
	return pclose(p);
}

static int attach(int fd, const char *name, unsigned int flags)
{
	struct khttps_attach a = { .flags = flags };

	strncpy(a.name, name, sizeof(a.name) - 1);
	return ioctl(fd, KHTTPS_IOC_ATTACH, &a);
}

static int accept_one(int fd, unsigned int flags)
{
	struct khttps_accept a = { .flags = flags };

	return ioctl(fd, KHTTPS_IOC_ACCEPT, &a) ? -1 : a.fd;
}

static int become_nobody(void)
{
	return setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ? -1 : 0;
}

/* Bindings: queue "adm" (admins only), "mine" (user nobody), "ours" (group nogroup). */
FIXTURE(q) { int fd; };
FIXTURE_SETUP(q)
{
	char args[512];
	static const char *const q[][2] = {
		{ "127.0.0.1:9441", "adm" },
		{ "127.0.0.1:9442", "mine user 65534" },
		{ "127.0.0.1:9443", "ours group 65534" },
	};
	unsigned int i;
	FILE *f;

	f = fopen("/tmp/khttps-qdev.pem", "w");
	ASSERT_TRUE(f != NULL);
	fclose(f);
	for (i = 0; i < 3; i++) {
		snprintf(args, sizeof(args),
			 "binding add %s cert /tmp/khttps-qdev.pem key /tmp/khttps-qdev.pem queue %s",
			 q[i][0], q[i][1]);
		ASSERT_EQ(ctl(args), 0);
	}
	self->fd = open("/dev/" KHTTPS_DEV_NAME, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
}
FIXTURE_TEARDOWN(q)
{
	close(self->fd);
	ctl("binding del 127.0.0.1:9441");
	ctl("binding del 127.0.0.1:9442");
	ctl("binding del 127.0.0.1:9443");
}

TEST_F(q, device_is_open_to_all_and_attach_decides)
{
	struct stat st;

	ASSERT_EQ(stat("/dev/" KHTTPS_DEV_NAME, &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0666U);
	EXPECT_EQ(attach(self->fd, "adm", 0), 0);
}

TEST_F(q, unknown_queue_is_enoent)
{
	EXPECT_EQ(attach(self->fd, "nosuch", 0), -1);
	EXPECT_EQ(errno, ENOENT);
}

TEST_F(q, bad_name_or_flags_are_einval)
{
	EXPECT_EQ(attach(self->fd, "bad/name", 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(attach(self->fd, "", 0), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(attach(self->fd, "adm", 1), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(attach(self->fd, "adm", 0), 0);
	EXPECT_EQ(accept_one(self->fd, 0x1), -1);
	EXPECT_EQ(errno, EINVAL);
}

TEST_F(q, accept_and_poll_before_attach)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	EXPECT_EQ(accept_one(self->fd, 0), -1);
	EXPECT_EQ(errno, EBADFD);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_TRUE(p.revents & POLLERR);
	EXPECT_EQ(ioctl(self->fd, _IO(KHTTPS_IOC_MAGIC, 99)), -1);
	EXPECT_EQ(errno, ENOTTY);
}

TEST_F(q, second_attach_is_ebusy)
{
	ASSERT_EQ(attach(self->fd, "adm", 0), 0);
	EXPECT_EQ(attach(self->fd, "mine", 0), -1);
	EXPECT_EQ(errno, EBUSY);
}

TEST_F(q, empty_queue_polls_empty_and_nonblocking_accept_is_eagain)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	ASSERT_EQ(attach(self->fd, "adm", 0), 0);
	EXPECT_EQ(poll(&p, 1, 100), 0);
	ASSERT_EQ(fcntl(self->fd, F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQ(accept_one(self->fd, SOCK_CLOEXEC | SOCK_NONBLOCK), -1);
	EXPECT_EQ(errno, EAGAIN);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST_F(q, blocking_accept_is_interrupted_by_a_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

	ASSERT_EQ(attach(self->fd, "adm", 0), 0);
	ASSERT_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(1);
	EXPECT_EQ(accept_one(self->fd, 0), -1);
	EXPECT_EQ(errno, EINTR);
}

/*
 * Run @fn in a child (it may drop privileges or change namespace; the
 * fixture's teardown may not): its return is a bitmask of failed checks.
 */
static int in_child(int (*fn)(int fd), int fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(fd));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int as_nobody(int fd)
{
	int bad = 0;

	if (become_nobody())
		return 0x80;
	if (attach(fd, "adm", 0) != -1 || errno != EACCES)
		bad |= 1;
	if (attach(fd, "mine", 0))
		bad |= 2;
	fd = open("/dev/" KHTTPS_DEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0 || attach(fd, "ours", 0))
		bad |= 4;
	return bad;
}

TEST_F(q, nobody_needs_the_queues_user_or_group)
{
	/* 1: admins-only queue refused (EACCES), 2: user queue, 4: group queue */
	EXPECT_EQ(in_child(as_nobody, self->fd), 0);
}

static int in_new_netns(int fd)
{
	int bad = 0, fd2;

	if (unshare(CLONE_NEWNET))
		return 0x80;
	fd2 = open("/dev/" KHTTPS_DEV_NAME, O_RDWR | O_CLOEXEC);
	if (fd2 < 0 || attach(fd2, "adm", 0) != -1 || errno != ENOENT)
		bad |= 1;
	/* The handle opened before keeps its namespace. */
	if (attach(fd, "adm", 0))
		bad |= 2;
	return bad;
}

TEST_F(q, another_network_namespace_sees_no_queue)
{
	/* 1: the new namespace sees the queue, 2: the old handle lost it */
	EXPECT_EQ(in_child(in_new_netns, self->fd), 0);
}

TEST_F(q, bindings_share_a_queue_but_not_its_owner)
{
	char out[16384];	/* binding show --json: every counter of every binding */

	EXPECT_EQ(ctl("binding add 127.0.0.1:9444 cert /tmp/khttps-qdev.pem "
		      "key /tmp/khttps-qdev.pem queue mine"), 0);
	EXPECT_NE(ctl_out("binding add 127.0.0.1:9445 cert /tmp/khttps-qdev.pem "
			  "key /tmp/khttps-qdev.pem queue mine user 0", out, sizeof(out)), 0);
	EXPECT_TRUE(strstr(out, "queue mine exists with another user or group") != NULL);
	TH_LOG("%s", out);
	EXPECT_NE(ctl_out("binding add 127.0.0.1:9446 cert /tmp/khttps-qdev.pem "
			  "key /tmp/khttps-qdev.pem backend 127.0.0.1:80 user 0", out, sizeof(out)), 0);
	EXPECT_TRUE(strstr(out, "user and group are for queue bindings") != NULL);
	EXPECT_EQ(ctl_out("--json binding show", out, sizeof(out)), 0);
	EXPECT_TRUE(strstr(out, "\"queue\":\"mine\",\"user\":65534") != NULL);
	ctl("binding del 127.0.0.1:9444");
	ctl("binding del 127.0.0.1:9445");
}

TEST_F(q, a_queue_outlives_its_bindings_while_attached)
{
	ASSERT_EQ(attach(self->fd, "adm", 0), 0);
	ASSERT_EQ(ctl("binding del 127.0.0.1:9441"), 0);
	/* Re-adding finds the same queue, still attached. */
	ASSERT_EQ(ctl("binding add 127.0.0.1:9441 cert /tmp/khttps-qdev.pem "
		      "key /tmp/khttps-qdev.pem queue adm"), 0);
	ASSERT_EQ(fcntl(self->fd, F_SETFL, O_NONBLOCK), 0);
	EXPECT_EQ(accept_one(self->fd, 0), -1);
	EXPECT_EQ(errno, EAGAIN);
}

TEST_HARNESS_MAIN
