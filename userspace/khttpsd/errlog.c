// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd --error-log FILE: a process of its own, beside the workers, that
 * appends the kernel's error log (one line per refused or failed
 * connection, userspace/common/events.c) to FILE, as HTTP.SYS writes
 * HTTPERR.  SIGHUP reopens the file (for logrotate).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "khttpsd.h"

static volatile sig_atomic_t kd_errlog_reopen;

static void on_hup(int sig)
{
	(void)sig;
	kd_errlog_reopen = 1;
}

/**
 * kd_errlog_open() - open the error log for appending
 * @path: the file (made mode 0640 if missing)
 *
 * Return: the fd, or -1 after a log line.
 */
int kd_errlog_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		kd_log(LOG_ERR, "cannot open the error log %s: %s", path, strerror(errno));
	return fd;
}

struct errlog_state {
	const char *path;
	int fd;
	uint64_t lost, lost_logged;
};

/* After SIGHUP: the file again by its name (logrotate moved the old one). */
static void reopen_if_asked(struct errlog_state *st)
{
	int fd;

	if (!kd_errlog_reopen)
		return;
	kd_errlog_reopen = 0;
	fd = kd_errlog_open(st->path);
	if (fd >= 0) {
		close(st->fd);
		st->fd = fd;
	}
}

static int write_line(struct errlog_state *st, const char *line)
{
	size_t len = strlen(line);
	ssize_t n;

	reopen_if_asked(st);
	/* O_APPEND: one write per line keeps lines whole. */
	n = write(st->fd, line, len);
	if (n != (ssize_t)len) {
		kd_log(LOG_ERR, "writing the error log %s: %s", st->path,
		       n < 0 ? strerror(errno) : "short write");
		return n < 0 && errno != ENOSPC ? -1 : 0;
	}
	return 0;
}

static int log_event(const struct khttps_event *ev, void *arg)
{
	struct errlog_state *st = arg;
	char line[1100];

	if (!ev) {		/* a signal: SIGHUP reopens at once */
		reopen_if_asked(st);
		return 0;
	}

	if (st->lost != st->lost_logged) {
		struct khttps_event gap = { .time_ns = ev->time_ns };
		size_t n;

		/* The kernel dropped events for us: say so where they are missing. */
		khttps_event_line(&gap, line, sizeof(line));
		n = strcspn(line, " ");
		snprintf(line + n, sizeof(line) - n, " - - - events_lost -\n");
		st->lost_logged = st->lost;
		if (write_line(st, line))
			return -EIO;
	}
	khttps_event_line(ev, line, sizeof(line) - 1);
	strcat(line, "\n");
	return write_line(st, line) ? -EIO : 0;
}

/**
 * kd_errlog_run() - the error-log process's life
 * @cfg: the daemon's configuration (cfg->error_log is set)
 *
 * Return: the exit status (the supervisor restarts it).
 */
int kd_errlog_run(const struct kd_config *cfg)
{
	struct sigaction sa = { .sa_handler = on_hup };
	struct errlog_state st = { .path = cfg->error_log };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct khttps_nl nl;
	sigset_t mask;
	int e;

	/* The wait for events is a poll(), which a signal ends whatever this says. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	st.fd = kd_errlog_open(cfg->error_log);
	if (st.fd < 0)
		return 1;
	if (khttps_nl_open(&nl)) {
		kd_log(LOG_ERR, "error log: %s", nl.err);
		close(st.fd);
		return 1;
	}
	e = khttps_nl_events(&nl, log_event, &st, &st.lost);
	if (e < 0)
		kd_log(LOG_ERR, "error log: %s", nl.err[0] ? nl.err : strerror(-e));
	khttps_nl_close(&nl);
	close(st.fd);
	return 1;
}
