// SPDX-License-Identifier: GPL-2.0
/*
 * Which engine runs a handshake.  A binding names its TLS library (policy
 * word engine) or takes the daemon's --engine.  A connection to a port with
 * host-name or ccs bindings has no binding yet: its ClientHello names the
 * server.  So the ClientHello is peeked at, left in the socket for the
 * engine to read, and the binding chosen here, before any library sees it.
 * A ClientHello that cannot be read that way (split over records,
 * malformed, naming no binding) goes to OpenSSL, whose ClientHello callback
 * chooses again and sends the right alert.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tls.h>

#include "addr.h"
#include "khttpsd.h"
#include <linux/khttps.h>

/**
 * kd_wait() - wait until @fd is ready for @events or @deadline passes
 * @fd: the connection
 * @events: POLLIN or POLLOUT
 * @deadline: CLOCK_MONOTONIC
 *
 * In a worker the handshake yields to the others meanwhile (worker.c).
 *
 * Return: 0 when ready, -1 at the deadline or on a poll error.
 */
int kd_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct timespec now;
	long ms;
	int r = kd_hs_wait(fd, events, deadline);

	if (r != -2)
		return r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return -1;
	return poll(&pfd, 1, (int)ms) == 1 ? 0 : -1;
}

/**
 * kd_binding_clear() - free @b's paths and zero it
 * @b: a binding, zeroed or filled in by the worker
 */
void kd_binding_clear(struct kd_binding *b)
{
	free(b->cert);
	free(b->key);
	free(b->store);
	free(b->chain);
	free(b->ca);
	free(b->crl);
	memset(b, 0, sizeof(*b));
}

/**
 * kd_resolve_binding() - the binding that serves @sni, with a ccs store's certificate found
 * @job: the connection (its select_fn asks the kernel)
 * @sni: the server name, or NULL when the client sent none
 * @b: filled in; the caller frees it with kd_binding_clear(), whatever the outcome
 *
 * Return: 0; -ENOENT when no binding serves @sni; another negative errno.
 */
int kd_resolve_binding(const struct kd_job *job, const char *sni, struct kd_binding *b)
{
	int err = job->select_fn(job, sni, false, b);

	if (err || !b->store)
		return err;
	if (sni) {
		err = kd_ccs_find(b->store, sni, &b->cert, &b->key);
		if (err != -ENOENT)
			return err;
	}
	/* Not in the store: the address binding, if any, serves it. */
	return job->select_fn(job, sni, true, b);
}

/**
 * kd_session_may_resume() - may a session the client offers be resumed?
 * @job: the connection
 * @pol: the binding in effect
 * @token: the session's close_notify token, or NULL (a session made before tokens)
 *
 * Not when the binding says resume off; under the close_notify policy only
 * when the kernel knows the session ended cleanly.
 */
bool kd_session_may_resume(const struct kd_job *job, const struct kd_binding *pol,
			   const uint8_t *token)
{
	if (!pol || !pol->resume)
		return false;
	if (pol->close_notify && (!token || job->session_fn(job, token))) {
		kd_log(LOG_INFO, "conn %llu from %s: the offered session did not end cleanly: "
		       "a full handshake (close_notify policy)",
		       (unsigned long long)job->conn_id, job->peer);
		return false;
	}
	return true;
}

/*
 * The server name in the client's first record, without taking it from the
 * socket.  Return: as kd_hello_sni(), or -ETIMEDOUT.
 */
static int kd_peek_sni(const struct kd_job *job, char *sni, size_t len)
{
	uint8_t buf[5 + 16384];
	int r = -EPROTO, lowat = 1;
	ssize_t n;

	for (;;) {
		n = recv(job->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			r = kd_hello_sni(buf, (size_t)n, sni, len);
			if (r != -EAGAIN)
				break;
			/* Peeked bytes stay readable: wait for the whole record instead. */
			lowat = n < 5 ? 5 : 5 + (buf[3] << 8 | buf[4]);
			setsockopt(job->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			r = -EPROTO;
			break;
		}
		if (kd_wait(job->fd, POLLIN, &job->deadline)) {
			r = -ETIMEDOUT;
			break;
		}
	}
	if (lowat != 1) {
		lowat = 1;
		setsockopt(job->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	}
	return r;
}

/**
 * kd_handshake() - run @job's handshake with the engine its binding names
 * @cfg: daemon configuration
 * @job: the connection; a binding chosen here is written into it
 * @res: the outcome, for DONE
 */
void kd_handshake(const struct kd_config *cfg, struct kd_job *job, struct kd_result *res)
{
	uint64_t chosen = 0;
	char sni[256];
	int r, engine;

	clock_gettime(CLOCK_MONOTONIC, &job->deadline);
	job->deadline.tv_sec += KD_HANDSHAKE_LIMIT_MS / 1000;
	if (job->select) {
		r = kd_peek_sni(job, sni, sizeof(sni));
		if ((r == 0 || (r == 1 && khttps_host_ok(sni, false, NULL))) &&
		    !kd_resolve_binding(job, r == 1 ? sni : NULL, &job->binding)) {
			job->select = false;
			chosen = job->binding.id;
		} else {
			kd_binding_clear(&job->binding);
		}
	}
	engine = job->select ? KHTTPS_ENGINE_OPENSSL : job->binding.engine ?: cfg->engine;
	if (engine == KHTTPS_ENGINE_MBEDTLS)
		kd_mbedtls_handshake(cfg, job, res);
	else
		kd_openssl_handshake(cfg, job, res);
	if (chosen && !res->binding_id)
		res->binding_id = chosen;
	if (res->status == KHTTPS_HS_OK)
		kd_log(LOG_DEBUG, "conn %llu from %s: TLS 1.%d suite 0x%04x%s%s%s by %s",
		       (unsigned long long)job->conn_id, job->peer,
		       res->version == TLS_1_3_VERSION ? 3 : 2, res->suite,
		       res->resumed ? ", resumed" : "", res->client_cert ? ", client certificate" : "",
		       res->sni[0] ? ", with SNI" : "",
		       engine == KHTTPS_ENGINE_MBEDTLS ? "mbedtls" : "openssl");
}
