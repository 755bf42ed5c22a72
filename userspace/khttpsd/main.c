// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd main loop: connect to the khttps family, check that the module
 * speaks this build's API, listen for handshake requests, and exit cleanly
 * on SIGTERM.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <netlink/netlink.h>

#include "khttpsd.h"
#include "nl.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: khttpsd [-f] [-w N]\n\n"
		"The khttps handshake daemon: performs TLS handshakes for connections the\n"
		"khttps module accepted, then hands the record keys to the kernel.\n\n"
		"  -f, --foreground   stay in the foreground and log to stderr (default: syslog)\n"
		"  -w, --workers N    handshake workers (1..256, default 4)\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this text\n\n"
		"Signals: SIGTERM or SIGINT exit, SIGHUP reloads.\n");
}

static int parse_workers(const char *s, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 256)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns 0 to go on, 1 to exit cleanly. */
static int on_signal(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			kd_log(LOG_INFO, "SIGHUP: nothing cached to reload");
			break;
		default:
			kd_log(LOG_INFO, "signal %u: exiting", si.ssi_signo);
			return 1;
		}
	}
	return 0;
}

static int run(struct khttps_nl *nl, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = nl_socket_get_fd(nl->sk), .events = POLLIN },
	};

	/* Notifications carry no sequence number of ours. */
	nl_socket_disable_seq_check(nl->sk);
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			kd_log(LOG_ERR, "poll: %s", strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && on_signal(sfd))
			return 0;
		if (pfd[1].revents & POLLIN) {
			/* No handshake requests exist in this API version yet: drain. */
			if (nl_recvmsgs_default(nl->sk) < 0)
				kd_log(LOG_WARNING, "netlink receive failed");
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "workers", required_argument, NULL, 'w' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int workers = 4;
	bool foreground = false;
	struct khttps_version v;
	struct khttps_nl nl;
	int c, sfd, err;

	while ((c = getopt_long(argc, argv, "fw:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'w':
			if (parse_workers(optarg, &workers)) {
				fprintf(stderr, "khttpsd: --workers wants a number from 1 to 256, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'V':
			printf("khttpsd %s (api %d)\n", KHTTPS_VERSION, KHTTPS_API_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "khttpsd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}

	kd_log_init(foreground);
	err = khttps_nl_open(&nl);
	if (!err)
		err = khttps_nl_version(&nl, &v);
	if (!err)
		err = khttps_nl_join(&nl, KHTTPS_MCGRP_HANDSHAKE);
	if (err) {
		kd_log(LOG_ERR, "%s%s", nl.err,
		       err == -EPERM ? " (khttpsd needs CAP_NET_ADMIN)" : "");
		khttps_nl_close(&nl);
		return 1;
	}
	if (!foreground && daemon(0, 0)) {
		kd_log(LOG_ERR, "daemon: %s", strerror(errno));
		return 1;
	}
	sfd = block_signals();
	if (sfd < 0) {
		kd_log(LOG_ERR, "signalfd: %s", strerror(errno));
		return 1;
	}
	kd_log(LOG_INFO, "khttpsd %s ready: module %s (api %u) on kernel %s, %u workers",
	       KHTTPS_VERSION, v.module, v.api, v.kernel, workers);
	err = run(&nl, sfd);
	khttps_nl_close(&nl);
	close(sfd);
	return err;
}
