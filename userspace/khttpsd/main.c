// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsd: check the module, then run N handshake worker processes and
 * restart any that dies.  Workers are processes, not threads, so a crash
 * in TLS code costs one worker's handshake (the kernel fails it and counts
 * it) and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "khttpsd.h"
#include "nl.h"

#define KD_MAX_WORKERS 256

static volatile sig_atomic_t kd_stop, kd_reload, kd_child, kd_alarm;

#define KD_TICKET_KEYS_DEFAULT "/var/lib/khttps/ticket-keys"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: khttpsd [-f] [-w N] [-c N] [-t DIR]... [-k FILE] [-r SEC] [-e ENGINE] [-l FILE] [-v]\n\n"
		"The khttps handshake daemon: performs TLS handshakes for connections the\n"
		"khttps module accepted, then hands the record keys to the kernel.\n\n"
		"  -f, --foreground   stay in the foreground and log to stderr (default: syslog)\n"
		"  -w, --workers N    handshake worker processes (1..256, default 4), each\n"
		"                     running up to 64 handshakes at once\n"
		"  -c, --cache N      certificates each worker keeps loaded (16..1000000,\n"
		"                     default 1024; the oldest loaded goes first)\n"
		"  -t, --trust DIR    read certificates and keys only below DIR (repeatable;\n"
		"                     default /etc/khttps and /etc/ssl)\n"
		"  -k, --ticket-keys FILE\n"
		"                     session ticket keys shared by the workers and kept\n"
		"                     across restarts (absolute path; created mode 0600;\n"
		"                     default " KD_TICKET_KEYS_DEFAULT ")\n"
		"  -r, --ticket-rotate SEC\n"
		"                     a new ticket key every SEC seconds (1..604800, default\n"
		"                     3600); the newest three are kept and a session\n"
		"                     resumes for two periods after its ticket was issued\n"
		"  -e, --engine openssl|mbedtls\n"
		"                     the TLS library for bindings that name none (default\n"
		"                     openssl; mbedtls speaks TLS 1.2 only)\n"
		"  -l, --error-log FILE\n"
		"                     append a line per refused or failed connection to FILE\n"
		"                     (absolute path; time, peer, local address, binding,\n"
		"                     reason, SNI), as khttpsctl monitor shows them\n"
		"  -v, --verbose      also log every handshake: engine, version, suite\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this text\n\n"
		"Signals: SIGTERM or SIGINT exit, SIGHUP reloads certificates and reopens\n"
		"the error log.\n");
}

static int parse_count(const char *s, long min, long max, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* The directory of @path, made (mode 0700) if it is missing. */
static int ensure_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST) {
		kd_log(LOG_ERR, "cannot make %s for the ticket keys: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		kd_reload = 1;
	else if (sig == SIGCHLD)
		kd_child = 1;
	else if (sig == SIGALRM)
		kd_alarm = 1;
	else
		kd_stop = 1;
}

/*
 * A worker, or with @errlog the error-log process.  @up: at start, the
 * pipe on which each first worker says it has asked the kernel for work;
 * NULL for a restart.
 */
static pid_t spawn(const struct kd_config *cfg, bool errlog, const int *up)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		int ready = -1;

		/* Signals stay blocked (the supervisor's mask) until the
		 * child has its own handlers; kd_*_run() unblock them. */
		sigaction(SIGCHLD, &dfl, NULL);
		if (up) {
			close(up[0]);
			if (errlog)
				close(up[1]);
			else
				ready = up[1];
		}
		_exit(errlog ? kd_errlog_run(cfg) : kd_worker_run(cfg, ready));
	}
	if (pid < 0)
		kd_log(LOG_ERR, "fork: %s", strerror(errno));
	return pid;
}

/*
 * Until each first worker has asked the kernel for work (so the kernel
 * counts a daemon in this namespace) or exited, for 10 s at most, or until
 * SIGTERM or SIGINT: signals are taken meanwhile (@mask: the mask to wait
 * with), their flags acted on afterwards.  Return: how many said so.
 */
static unsigned int wait_workers(int fd, unsigned int n, const sigset_t *mask)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec end, now, left;
	char buf[KD_MAX_WORKERS];
	unsigned int got = 0;
	ssize_t r;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 10;
	while (got < n && !kd_stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000;
		}
		if (left.tv_sec < 0)
			break;
		ret = ppoll(&pfd, 1, &left, mask);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		r = read(fd, buf, sizeof(buf));
		if (r <= 0)	/* EOF: every worker that had the pipe is gone */
			break;
		got += (unsigned int)r;
	}
	return got;
}

/*
 * @next: seconds until the ticket keys are due to rotate.  @ready: logged
 * once the workers are up.
 */
static int supervise(const struct kd_config *cfg, unsigned int next, const char *ready)
{
	struct sigaction sa = { .sa_handler = on_signal };
	/* The workers, then the error-log process if there is one. */
	pid_t pids[KD_MAX_WORKERS + 1] = { 0 };
	unsigned int n = cfg->workers + !!cfg->error_log;
	time_t last_death = 0;
	unsigned int i, up_n, deaths = 0;
	sigset_t mask, old;
	int up[2];

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGALRM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	alarm(next);
	if (pipe2(up, O_CLOEXEC)) {
		kd_log(LOG_ERR, "pipe: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++)
		pids[i] = spawn(cfg, i == cfg->workers, up);
	close(up[1]);
	up_n = wait_workers(up[0], cfg->workers, &old);
	close(up[0]);
	if (!kd_stop && up_n < cfg->workers)
		kd_log(LOG_WARNING, "%u of %u workers asked the kernel for work within 10 s",
		       up_n, cfg->workers);
	if (!kd_stop)
		kd_log(LOG_INFO, "%s", ready);
	while (!kd_stop) {
		/* Signals are blocked here: none comes between look and wait. */
		if (!kd_alarm && !kd_reload && !kd_child)
			sigsuspend(&old);
		if (kd_alarm) {
			kd_alarm = 0;
			/* A key file broken meanwhile: workers log it and issue no tickets. */
			if (kd_tickets_maintain(cfg, &next))
				next = cfg->ticket_rotate;
			alarm(next);
		}
		if (kd_reload) {
			kd_reload = 0;
			kd_log(LOG_INFO, "SIGHUP: workers reload certificates");
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGHUP);
		}
		if (!kd_child)
			continue;
		kd_child = 0;
		for (i = 0; i < n; i++) {
			int status;

			if (pids[i] <= 0 || waitpid(pids[i], &status, WNOHANG) != pids[i])
				continue;
			kd_log(LOG_WARNING, "%s %d %s %d: restarting it",
			       i == cfg->workers ? "error-log process" : "worker", (int)pids[i],
			       WIFSIGNALED(status) ? "killed by signal" : "exited with status",
			       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			/* A worker that dies at once every time must not spin the CPU. */
			if (time(NULL) - last_death < 1 && ++deaths > 10)
				sleep(1);
			else if (time(NULL) - last_death >= 1)
				deaths = 0;
			last_death = time(NULL);
			pids[i] = spawn(cfg, i == cfg->workers, NULL);
		}
	}
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	kd_log(LOG_INFO, "exiting");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "workers", required_argument, NULL, 'w' },
		{ "cache", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 't' },
		{ "ticket-keys", required_argument, NULL, 'k' },
		{ "ticket-rotate", required_argument, NULL, 'r' },
		{ "engine", required_argument, NULL, 'e' },
		{ "error-log", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kd_config cfg = {
		.workers = 4, .cache = 1024,
		.ticket_keys = KD_TICKET_KEYS_DEFAULT, .ticket_rotate = 3600,
		.engine = KHTTPS_ENGINE_OPENSSL,
	};
	struct khttps_version v;
	struct khttps_nl nl;
	unsigned int next;
	char ready[512];
	char *real;
	int c, err;

	if (kd_wipe_init())
		fprintf(stderr, "khttpsd: OpenSSL allocated before main: its freed memory is not wiped\n");
	while ((c = getopt_long(argc, argv, "fw:c:t:k:r:e:l:vVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			cfg.foreground = true;
			break;
		case 'w':
			if (parse_count(optarg, 1, KD_MAX_WORKERS, &cfg.workers)) {
				fprintf(stderr, "khttpsd: --workers wants a number from 1 to %d, not '%s'\n",
					KD_MAX_WORKERS, optarg);
				return 2;
			}
			break;
		case 'c':
			if (parse_count(optarg, 16, 1000000, &cfg.cache)) {
				fprintf(stderr, "khttpsd: --cache wants a number from 16 to 1000000, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			real = realpath(optarg, NULL);
			if (!real) {
				fprintf(stderr, "khttpsd: --trust %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			if (cfg.ntrust == KD_MAX_TRUST) {
				fprintf(stderr, "khttpsd: at most %d --trust directories\n", KD_MAX_TRUST);
				return 2;
			}
			cfg.trust[cfg.ntrust++] = real;
			break;
		case 'k':
			if (optarg[0] != '/') {
				fprintf(stderr, "khttpsd: --ticket-keys wants an absolute path, not '%s'\n",
					optarg);
				return 2;
			}
			cfg.ticket_keys = optarg;
			break;
		case 'r':
			if (parse_count(optarg, 1, 604800, &cfg.ticket_rotate)) {
				fprintf(stderr, "khttpsd: --ticket-rotate wants seconds from 1 to 604800, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'e':
			if (!strcmp(optarg, "openssl")) {
				cfg.engine = KHTTPS_ENGINE_OPENSSL;
			} else if (!strcmp(optarg, "mbedtls")) {
				cfg.engine = KHTTPS_ENGINE_MBEDTLS;
			} else {
				fprintf(stderr, "khttpsd: --engine takes openssl or mbedtls, not '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'l':
			if (optarg[0] != '/') {
				fprintf(stderr, "khttpsd: --error-log wants an absolute path, not '%s'\n",
					optarg);
				return 2;
			}
			cfg.error_log = optarg;
			break;
		case 'v':
			cfg.verbose = true;
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
	if (!cfg.ntrust) {
		cfg.trust[cfg.ntrust++] = "/etc/khttps";
		cfg.trust[cfg.ntrust++] = "/etc/ssl";
	}

	kd_log_init(cfg.foreground, cfg.verbose);
	err = khttps_nl_open(&nl);
	if (!err)
		err = khttps_nl_version(&nl, &v);
	if (!err)
		err = khttps_nl_join(&nl, KHTTPS_MCGRP_HANDSHAKE);
	khttps_nl_close(&nl);
	if (err) {
		kd_log(LOG_ERR, "%s%s", nl.err, err == -EPERM ? " (khttpsd needs CAP_NET_ADMIN)" : "");
		return 1;
	}
	cfg.caps = v.caps;
	/* Before daemon(): a key file that cannot be used stops the start, visibly. */
	if (ensure_dir(cfg.ticket_keys) || kd_tickets_maintain(&cfg, &next))
		return 1;
	if (cfg.error_log) {
		int fd = kd_errlog_open(cfg.error_log);

		if (fd < 0)
			return 1;
		close(fd);
	}
	if (!cfg.foreground && daemon(0, 0)) {
		kd_log(LOG_ERR, "daemon: %s", strerror(errno));
		return 1;
	}
	/* Shared by the workers forked next; without it, tickets still resume. */
	kd_sesscache_init();
	snprintf(ready, sizeof(ready),
		 "khttpsd %s ready: module %s (api %u) on kernel %s, %u workers, engine %s",
		 KHTTPS_VERSION, v.module, v.api, v.kernel, cfg.workers,
		 cfg.engine == KHTTPS_ENGINE_MBEDTLS ? "mbedtls" : "openssl");
	return supervise(&cfg, next, ready);
}
