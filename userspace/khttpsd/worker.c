// SPDX-License-Identifier: GPL-2.0
/*
 * A handshake worker: its own netlink socket (the kernel ties each accepted
 * connection to it), woken by READY, taking connections with HS_ACCEPT,
 * answering every one with HS_DONE.
 *
 * Handshakes run as coroutines.  A handshake waits for its client only in
 * kd_wait(); inside a worker that switches back to the worker's loop, which
 * polls the sockets of every waiting handshake at once and resumes each when
 * its socket is ready or its deadline passed.  So a client that sends its
 * ClientHello and then stalls holds one of the worker's KD_HS_MAX slots, not
 * the worker, and the engines stay straight-line code.  Each handshake has
 * a stack of its own, left out of core dumps and wiped when the handshake
 * ends, its secrets with it; a few wiped stacks are kept for the next.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netlink/genl/genl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "khttpsd.h"
#include "nl.h"

static volatile sig_atomic_t kd_stop, kd_reload;

static void kd_on_signal(int sig)
{
	if (sig == SIGHUP)
		kd_reload = 1;
	else
		kd_stop = 1;
}

/* "h2,http/1.1" in ALPN's wire format; the kernel checked the list. */
static void parse_alpn(const char *list, struct kd_binding *b)
{
	const char *p = list, *comma;
	size_t n;

	b->alpn_len = 0;
	while (*p) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n > 255 || b->alpn_len + 1 + n > sizeof(b->alpn))
			break;
		b->alpn[b->alpn_len++] = (unsigned char)n;
		memcpy(b->alpn + b->alpn_len, p, n);
		b->alpn_len += (unsigned int)n;
		p += n + (comma ? 1 : 0);
	}
}

/* A path attribute as a malloc'd string; @*path must be NULL. */
static int parse_path(struct nlattr *a, char **path)
{
	if (!a)
		return 0;
	*path = strndup(nla_data(a), (size_t)nla_len(a));
	return *path ? 0 : -ENOMEM;
}

static int parse_policy(struct nlattr *nest, struct kd_binding *b)
{
	struct nlattr *tb[KHTTPS_POLICY_A_MAX + 1] = { 0 };

	b->min_version = TLS1_2_VERSION;
	b->max_version = TLS1_3_VERSION;
	b->resume = true;
	parse_alpn("http/1.1", b);
	if (!nest || nla_parse_nested(tb, KHTTPS_POLICY_A_MAX, nest, NULL))
		return 0;
	if (tb[KHTTPS_POLICY_A_MIN_VERSION])
		b->min_version = nla_get_u16(tb[KHTTPS_POLICY_A_MIN_VERSION]);
	if (tb[KHTTPS_POLICY_A_MAX_VERSION])
		b->max_version = nla_get_u16(tb[KHTTPS_POLICY_A_MAX_VERSION]);
	if (tb[KHTTPS_POLICY_A_ALPN])
		parse_alpn(nla_get_string(tb[KHTTPS_POLICY_A_ALPN]), b);
	if (tb[KHTTPS_POLICY_A_CLIENT_CERT])
		b->client_cert = nla_get_u8(tb[KHTTPS_POLICY_A_CLIENT_CERT]);
	if (tb[KHTTPS_POLICY_A_RESUME])
		b->resume = nla_get_u8(tb[KHTTPS_POLICY_A_RESUME]);
	if (tb[KHTTPS_POLICY_A_ENGINE])
		b->engine = nla_get_u8(tb[KHTTPS_POLICY_A_ENGINE]);
	return parse_path(tb[KHTTPS_POLICY_A_CHAIN], &b->chain) ?:
	       parse_path(tb[KHTTPS_POLICY_A_CA], &b->ca) ?:
	       parse_path(tb[KHTTPS_POLICY_A_CRL], &b->crl);
}

/*
 * A binding as ACCEPT or SELECT gives it: cert and key, or a store; its
 * policy.  What @b held before is freed.
 */
static int parse_binding(struct nlattr **tb, struct kd_binding *b)
{
	int err;

	kd_binding_clear(b);
	err = parse_policy(tb[KHTTPS_A_POLICY], b);
	if (err)
		return err;
	if (!tb[KHTTPS_A_BINDING_ID])
		return -EPROTO;
	b->id = nla_get_u64(tb[KHTTPS_A_BINDING_ID]);
	b->close_notify = tb[KHTTPS_A_CLOSE_NOTIFY] && nla_get_u8(tb[KHTTPS_A_CLOSE_NOTIFY]);
	if (tb[KHTTPS_A_STORE])
		return parse_path(tb[KHTTPS_A_STORE], &b->store);
	if (!tb[KHTTPS_A_CERT] || !tb[KHTTPS_A_KEY])
		return -EPROTO;
	return parse_path(tb[KHTTPS_A_CERT], &b->cert) ?: parse_path(tb[KHTTPS_A_KEY], &b->key);
}

static int parse_accept(struct nlattr **tb, void *arg)
{
	struct kd_job *job = arg;
	struct sockaddr_storage peer;

	if (!tb[KHTTPS_A_CONN_ID] || !tb[KHTTPS_A_FD])
		return -EPROTO;
	job->conn_id = nla_get_u64(tb[KHTTPS_A_CONN_ID]);
	job->fd = (int)nla_get_s32(tb[KHTTPS_A_FD]);
	khttps_nl_get_addr(tb[KHTTPS_A_PEER], &peer);
	khttps_addr_format(&peer, job->peer, sizeof(job->peer));
	job->select = tb[KHTTPS_A_SELECT] != NULL;
	job->last = tb[KHTTPS_A_LAST] != NULL;
	/* An fd we hold must reach the caller even when the rest is garbled. */
	if (!job->select && (parse_binding(tb, &job->binding) || job->binding.store)) {
		free(job->binding.cert);
		free(job->binding.key);
		job->binding.cert = job->binding.key = NULL;
	}
	return 0;
}

static int parse_select(struct nlattr **tb, void *arg)
{
	return parse_binding(tb, arg);
}

/* kd_select_fn: HS_SELECT on the worker's request socket. */
static int select_binding(const struct kd_job *job, const char *sni, bool skip_ccs,
			  struct kd_binding *out)
{
	struct khttps_nl *nl = job->select_arg;
	struct nl_msg *msg = khttps_nl_msg(nl, KHTTPS_CMD_HS_SELECT);
	int err;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, KHTTPS_A_CONN_ID, job->conn_id) ||
	    (sni && nla_put_string(msg, KHTTPS_A_HOST, sni)) ||
	    (skip_ccs && nla_put_flag(msg, KHTTPS_A_SKIP_CCS))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = khttps_nl_request(nl, msg, parse_select, out);
	if (err && err != -ENOENT)
		kd_log(LOG_WARNING, "conn %llu from %s: kernel refused SELECT: %s",
		       (unsigned long long)job->conn_id, job->peer, nl->err);
	return err;
}

/* kd_session_fn: HS_SESSION on the worker's request socket. */
static int session_check(const struct kd_job *job, const uint8_t token[KD_TOKEN_LEN])
{
	struct khttps_nl *nl = job->select_arg;
	struct nl_msg *msg = khttps_nl_msg(nl, KHTTPS_CMD_HS_SESSION);
	int err;

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, KHTTPS_A_CONN_ID, job->conn_id) ||
	    nla_put(msg, KHTTPS_A_SESSION_TOKEN, KD_TOKEN_LEN, token)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	err = khttps_nl_request(nl, msg, NULL, NULL);
	if (err && err != -ENOENT)
		kd_log(LOG_WARNING, "conn %llu from %s: kernel refused HS_SESSION: %s",
		       (unsigned long long)job->conn_id, job->peer, nl->err);
	return err;
}

static int put_dir(struct nl_msg *msg, int type, const struct kd_dir_keys *d)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put(msg, KHTTPS_CRYPTO_A_KEY, d->key_len, d->key) ||
	    nla_put(msg, KHTTPS_CRYPTO_A_IV, d->iv_len, d->iv) ||
	    (d->salt_len && nla_put(msg, KHTTPS_CRYPTO_A_SALT, d->salt_len, d->salt)) ||
	    nla_put(msg, KHTTPS_CRYPTO_A_REC_SEQ, 8, d->seq))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static int put_client_cert(struct nl_msg *msg, const struct kd_result *res)
{
	struct nlattr *nest;

	if (!res->client_cert)
		return 0;
	nest = nla_nest_start(msg, KHTTPS_A_CLIENT_CERT);
	if (!nest || nla_put_string(msg, KHTTPS_CLIENT_CERT_A_SUBJECT, res->client_subject) ||
	    nla_put_string(msg, KHTTPS_CLIENT_CERT_A_ISSUER, res->client_issuer) ||
	    nla_put_string(msg, KHTTPS_CLIENT_CERT_A_SERIAL, res->client_serial) ||
	    nla_put(msg, KHTTPS_CLIENT_CERT_A_SHA256, 32, res->client_sha256) ||
	    (res->client_cn[0] && nla_put_string(msg, KHTTPS_CLIENT_CERT_A_CN, res->client_cn)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

static void send_done(struct khttps_nl *nl, const struct kd_job *job, struct kd_result *res)
{
	struct nl_msg *msg = khttps_nl_msg(nl, KHTTPS_CMD_HS_DONE);
	int err;

	if (!msg)
		goto out;
	if (nla_put_u64(msg, KHTTPS_A_CONN_ID, job->conn_id) ||
	    nla_put_u32(msg, KHTTPS_A_STATUS, (uint32_t)res->status) ||
	    (res->binding_id && nla_put_u64(msg, KHTTPS_A_BINDING_ID, res->binding_id)))
		goto err_msg;
	if (res->status == KHTTPS_HS_OK &&
	    (nla_put_u16(msg, KHTTPS_A_TLS_VERSION, res->version) ||
	     nla_put_u16(msg, KHTTPS_A_CIPHER, res->cipher) ||
	     (res->suite && nla_put_u16(msg, KHTTPS_A_SUITE, res->suite)) ||
	     (res->resumed && nla_put_flag(msg, KHTTPS_A_RESUMED)) ||
	     (res->has_token &&
	      (nla_put(msg, KHTTPS_A_SESSION_TOKEN, KD_TOKEN_LEN, res->token) ||
	       nla_put_u32(msg, KHTTPS_A_SESSION_LIFE, res->session_life))) ||
	     put_dir(msg, KHTTPS_A_TX, &res->tx) || put_dir(msg, KHTTPS_A_RX, &res->rx) ||
	     (res->sni[0] && nla_put_string(msg, KHTTPS_A_SNI, res->sni)) ||
	     (res->alpn[0] && nla_put_string(msg, KHTTPS_A_ALPN, res->alpn)) ||
	     put_client_cert(msg, res))) {
		/* Keys that do not fit must not go half-sent: report a failure. */
		OPENSSL_cleanse(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		res->status = KHTTPS_HS_INTERNAL;
		send_done(nl, job, res);
		goto out;
	}
	/* khttps_nl_request() wipes the message before freeing it. */
	err = khttps_nl_request(nl, msg, NULL, NULL);
	/* A client that left before its keys is common and counted (client_gone). */
	if (err)
		kd_log(err == -ENOTCONN ? LOG_INFO : LOG_WARNING,
		       "conn %llu from %s: kernel refused DONE: %s",
		       (unsigned long long)job->conn_id, job->peer, nl->err);
	goto out;
err_msg:
	nlmsg_free(msg);
out:
	OPENSSL_cleanse(res, sizeof(*res));
}

#define KD_HS_MAX	64		/* handshakes a worker runs at once */
#define KD_HS_STACK	(512 << 10)	/* each one's stack, below a guard page */

struct kd_hs {
	ucontext_t ctx;
	char *map;			/* guard page, then the stack */
	struct kd_job job;
	/* What kd_wait() waits for, and what it returns when resumed. */
	int fd;
	short events;
	struct timespec deadline;
	int ready;
	bool over;			/* the handshake returned: DONE went out */
};

static struct kd_hs *kd_hs[KD_HS_MAX];
static unsigned int kd_nhs;
static struct kd_hs *kd_hs_cur;		/* running, or NULL: the loop runs */
static ucontext_t kd_loop_ctx;
static const struct kd_config *kd_hs_cfg;
static struct khttps_nl *kd_hs_nl;

/**
 * kd_hs_wait() - kd_wait() inside a worker: the loop waits, others run
 * @fd: the connection
 * @events: POLLIN or POLLOUT
 * @deadline: CLOCK_MONOTONIC
 *
 * Return: 0 when ready; -1 at the deadline, on a poll error, or when the
 * worker stops; -2 outside a handshake coroutine (the caller polls itself).
 */
int kd_hs_wait(int fd, short events, const struct timespec *deadline)
{
	struct kd_hs *h = kd_hs_cur;

	if (!h)
		return -2;
	h->fd = fd;
	h->events = events;
	h->deadline = *deadline;
	swapcontext(&h->ctx, &kd_loop_ctx);
	return h->ready;
}

/* A coroutine's body: the handshake of kd_hs_cur, then its DONE. */
static void kd_hs_main(void)
{
	struct kd_hs *h = kd_hs_cur;
	struct kd_result res;

	kd_handshake(kd_hs_cfg, &h->job, &res);
	/* The kernel refuses DONE while we still hold the socket. */
	close(h->job.fd);
	send_done(kd_hs_nl, &h->job, &res);
	kd_binding_clear(&h->job.binding);
	h->over = true;
	/* Back to the loop through uc_link. */
}

/*
 * Stacks of finished handshakes kept for the next ones: mapping a fresh
 * stack and unmapping it cost four system calls, a TLB flush and a page
 * fault per page touched, about a millisecond per handshake under TCG.
 */
#define KD_HS_SPARE	8
static struct kd_hs *kd_hs_spare[KD_HS_SPARE];
static unsigned int kd_nspare;

/* Where @h's stack begins, above its guard page. */
static char *kd_hs_stack(const struct kd_hs *h)
{
	return h->map + (size_t)sysconf(_SC_PAGESIZE);
}

static void kd_hs_unmap(struct kd_hs *h)
{
	munmap(h->map, KD_HS_STACK + (size_t)sysconf(_SC_PAGESIZE));
	free(h);
}

/*
 * Wipe what a finished handshake left on its stack: the pages from the
 * deepest one in memory up to the top are cleared, those below it (never
 * touched, or swapped out) dropped.  Return: 0, or -1 if mincore() failed.
 */
static int kd_hs_wipe_stack(struct kd_hs *h)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = KD_HS_STACK / page, low;
	unsigned char vec[KD_HS_STACK / 4096];
	char *stack = kd_hs_stack(h);

	if (n > sizeof(vec) || mincore(stack, KD_HS_STACK, vec))
		return -1;
	for (low = 0; low < n && !(vec[low] & 1); low++)
		;
	if (low && madvise(stack, low * page, MADV_DONTNEED))
		return -1;
	explicit_bzero(stack + low * page, (n - low) * page);
	return 0;
}

/* An ended handshake: its stack wiped and kept for the next one, or unmapped. */
static void kd_hs_free(struct kd_hs *h)
{
	if (kd_nspare < KD_HS_SPARE && !kd_hs_wipe_stack(h)) {
		h->over = false;
		kd_hs_spare[kd_nspare++] = h;
		return;
	}
	kd_hs_unmap(h);
}

/* Run @h until it waits or ends; an ended one is freed.  Return: it ended. */
static bool kd_hs_resume(unsigned int i)
{
	struct kd_hs *h = kd_hs[i];

	/* OpenSSL's error queue is per thread: what another left is not ours. */
	ERR_clear_error();
	kd_hs_cur = h;
	swapcontext(&kd_loop_ctx, &h->ctx);
	kd_hs_cur = NULL;
	if (!h->over)
		return false;
	kd_hs_free(h);
	kd_hs[i] = kd_hs[--kd_nhs];
	return true;
}

/*
 * A handshake's coroutine state and stack: a spare one, or mapped now.  Not
 * inlined: kd_hs_start() calls getcontext() on what it returns.
 */
static __attribute__((noinline)) struct kd_hs *kd_hs_get(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct kd_hs *h;

	if (kd_nspare)
		return kd_hs_spare[--kd_nspare];
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->map = mmap(NULL, KD_HS_STACK + page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h->map == MAP_FAILED || mprotect(h->map, page, PROT_NONE) ||
	    madvise(h->map, KD_HS_STACK + page, MADV_DONTDUMP)) {
		if (h->map != MAP_FAILED)
			munmap(h->map, KD_HS_STACK + page);
		free(h);
		return NULL;
	}
	return h;
}

/* A coroutine for @job, started: it runs until it first waits.  It takes @job's binding. */
static int kd_hs_start(const struct kd_job *job)
{
	struct kd_hs *h = kd_hs_get();

	if (!h)
		return -1;
	/* A template for makecontext(): nothing ever returns here twice. */
	if (getcontext(&h->ctx)) {
		kd_hs_unmap(h);
		return -1;
	}
	h->job = *job;
	h->ctx.uc_stack.ss_sp = kd_hs_stack(h);
	h->ctx.uc_stack.ss_size = KD_HS_STACK;
	h->ctx.uc_link = &kd_loop_ctx;
	makecontext(&h->ctx, kd_hs_main, 0);
	kd_hs[kd_nhs++] = h;
	kd_hs_resume(kd_nhs - 1);
	return 0;
}

/*
 * Connections may wait for us: at start (those queued before we joined),
 * after a READY, until an ACCEPT takes the last one or finds none.
 */
static bool kd_waiting = true;

/*
 * Where our READYs should go: the handshake-group socket's port, which
 * lets the kernel wake one worker per connection instead of all of them;
 * 0 with a module that cannot.
 */
static uint32_t kd_notify_port;

/*
 * Take waiting connections while there is room, starting a handshake for
 * each.  Return: 0 when none is left or no room, -1 when ACCEPT failed
 * otherwise (the caller retries soon).
 */
static int drain(struct khttps_nl *nl)
{
	struct kd_job job;
	struct nl_msg *msg;
	int err;

	while (!kd_stop && kd_waiting && kd_nhs < KD_HS_MAX) {
		memset(&job, 0, sizeof(job));
		job.fd = -1;
		msg = khttps_nl_msg(nl, KHTTPS_CMD_HS_ACCEPT);
		if (!msg)
			return -1;
		if (kd_notify_port && nla_put_u32(msg, KHTTPS_A_NOTIFY_PORT, kd_notify_port)) {
			nlmsg_free(msg);
			return -1;
		}
		err = khttps_nl_request(nl, msg, parse_accept, &job);
		if (err == -EAGAIN) {
			kd_waiting = false;	/* nothing waits */
			return 0;
		}
		if (err) {
			kd_binding_clear(&job.binding);
			return -1;
		}
		if (job.last)
			kd_waiting = false;
		job.select_fn = select_binding;
		job.session_fn = session_check;
		job.select_arg = nl;
		if (kd_hs_start(&job)) {
			struct kd_result res = { .status = KHTTPS_HS_INTERNAL };

			/* No memory for it: failed at once, not left to time out. */
			kd_log(LOG_ERR, "conn %llu from %s: no memory for a handshake",
			       (unsigned long long)job.conn_id, job.peer);
			close(job.fd);
			send_done(nl, &job, &res);
			kd_binding_clear(&job.binding);
			return -1;
		}
	}
	return 0;
}

/* Milliseconds until the earliest deadline of a waiting handshake, or -1. */
static int kd_hs_timeout(void)
{
	struct timespec now;
	long ms, min = -1;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < kd_nhs; i++) {
		ms = (kd_hs[i]->deadline.tv_sec - now.tv_sec) * 1000 +
		     (kd_hs[i]->deadline.tv_nsec - now.tv_nsec) / 1000000 + 1;
		if (ms < 0)
			ms = 0;
		if (min < 0 || ms < min)
			min = ms;
	}
	return (int)min;
}

/* Resume each handshake whose socket @pfd (after the READY socket) is ready or whose deadline passed. */
static void kd_hs_run_ready(const struct pollfd *pfd, unsigned int n)
{
	struct kd_hs *waiting[KD_HS_MAX];
	struct timespec now;
	unsigned int i, j;

	/* Resuming reorders kd_hs[]: work from a copy of the polled order. */
	memcpy(waiting, kd_hs, n * sizeof(*waiting));
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < n; i++) {
		struct kd_hs *h = waiting[i];
		bool late = now.tv_sec > h->deadline.tv_sec ||
			    (now.tv_sec == h->deadline.tv_sec && now.tv_nsec >= h->deadline.tv_nsec);

		if (!pfd[i + 1].revents && !late && !kd_stop)
			continue;
		h->ready = (pfd[i + 1].revents & (h->events | POLLHUP | POLLERR)) && !kd_stop ? 0 : -1;
		for (j = 0; j < kd_nhs && kd_hs[j] != h; j++)
			;
		kd_hs_resume(j);
	}
}

/**
 * kd_worker_run() - the worker process's main loop
 * @cfg: daemon configuration
 * @ready: a pipe to write one byte to once the kernel has been asked for
 *	work (and so counts this worker), then close; or -1
 *
 * Return: exit status for the worker process (0 on SIGTERM).
 */
int kd_worker_run(const struct kd_config *cfg, int ready)
{
	struct sigaction sa = { .sa_handler = kd_on_signal };
	struct timeval limit = { .tv_sec = 10 };
	struct pollfd pfd[KD_HS_MAX + 1];
	struct khttps_nl nl, ev;
	sigset_t mask;
	int status = 1;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Forked with the supervisor's signals blocked: take them now. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	/*
	 * Two sockets: READY notifications on one, requests on the other.  On
	 * one socket a burst of notifications fills the receive buffer and the
	 * kernel drops the answer to our request, which would then never come.
	 */
	if (khttps_nl_open(&nl)) {
		kd_log(LOG_ERR, "worker: %s", nl.err);
		return 1;
	}
	if (khttps_nl_open(&ev) || khttps_nl_join(&ev, KHTTPS_MCGRP_HANDSHAKE)) {
		kd_log(LOG_ERR, "worker: %s", ev.err);
		goto out;
	}
	/* The kernel answers at once; a lost answer must not hang the worker. */
	setsockopt(nl_socket_get_fd(nl.sk), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	kd_hs_cfg = cfg;
	kd_hs_nl = &nl;
	if (cfg->caps & KHTTPS_CAP_NOTIFY_PORT)
		kd_notify_port = nl_socket_get_local_port(ev.sk);
	pfd[0].fd = nl_socket_get_fd(ev.sk);
	pfd[0].events = POLLIN;
	while (!kd_stop) {
		unsigned int i, n;
		int timeout, hs;

		if (kd_reload) {
			kd_reload = 0;
			kd_openssl_flush_cache();
			kd_mbedtls_flush_cache();
		}
		/*
		 * Connections queued before we joined were announced to no one:
		 * the first drain takes them.  After that the first to arrive in
		 * an empty queue sends a READY (an overrun shows as POLLERR),
		 * and drain() asks until an ACCEPT took the last (KHTTPS_A_LAST)
		 * or found none.  So the worker sleeps until there is work or a
		 * handshake's socket is ready: no wake-ups while established
		 * connections move data, which is all in the kernel.  A worker
		 * with every slot taken leaves new connections to the others,
		 * and looks again as soon as one ends.
		 */
		timeout = drain(&nl) ? 1000 : -1;
		if (ready >= 0 && timeout < 0) {
			/*
			 * Asked once: the kernel knows a worker (the
			 * supervisor's "ready").  EPIPE: it stopped waiting.
			 */
			if (write(ready, "", 1) < 0 && errno != EPIPE)
				kd_log(LOG_WARNING, "worker: telling the supervisor: %s",
				       strerror(errno));
			close(ready);
			ready = -1;
		}
		n = kd_nhs;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = kd_hs[i]->fd;
			pfd[i + 1].events = kd_hs[i]->events;
			pfd[i + 1].revents = 0;
		}
		hs = kd_hs_timeout();
		if (hs >= 0 && (timeout < 0 || hs < timeout))
			timeout = hs;
		if (poll(pfd, n + 1, timeout) > 0 && pfd[0].revents) {
			char buf[8192];

			/* The wake-up is all a READY says; ACCEPT gets the work. */
			while (recv(pfd[0].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
			kd_waiting = true;
		}
		kd_hs_run_ready(pfd, n);
	}
	/* Stopping: each handshake under way fails at once and says so. */
	while (kd_nhs) {
		kd_hs[0]->ready = -1;
		kd_hs_resume(0);
	}
	status = 0;
out:
	khttps_nl_close(&ev);
	khttps_nl_close(&nl);
	return status;
}
