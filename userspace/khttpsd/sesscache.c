// SPDX-License-Identifier: GPL-2.0
/*
 * TLS 1.2 session ids: a server-side session cache that every worker shares.
 *
 * A client that does not take tickets resumes by session id (RFC 5246
 * 7.4.1.2): the server must find the session's state by that id, whichever
 * worker made it.  The supervisor maps one anonymous shared region before it
 * forks the workers; each worker stores a new session there (in its
 * engine's form: OpenSSL's DER of SSL_SESSION, or the mbedTLS engine's) and
 * looks it up there.  A process-shared, robust
 * mutex guards it: a worker killed while holding it leaves the region to be
 * wiped, not a deadlock.
 *
 * The region holds session secrets, so it is never written anywhere: no
 * file backs it, it is left out of core dumps (MADV_DONTDUMP), a removed
 * entry is wiped, and it ends with the daemon (a restart loses the cache;
 * tickets outlive it).  TLS 1.3 needs none of this: its tickets carry the
 * session (tickets.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "khttpsd.h"

#define KD_SC_SLOTS	4096		/* sessions the cache holds */
#define KD_SC_SLOT_SIZE	2048		/* bytes per session: bigger ones are not cached */
#define KD_SC_PROBE	8		/* slots a session id may live in */

struct kd_sc_slot {
	int64_t expires;		/* Unix time; 0: free */
	uint32_t len;			/* of der */
	uint8_t id_len;
	uint8_t id[SSL_MAX_SSL_SESSION_ID_LENGTH];
	unsigned char der[KD_SC_SLOT_SIZE - 48];
};

struct kd_sc {
	pthread_mutex_t lock;
	struct kd_sc_slot slot[KD_SC_SLOTS];
};

static struct kd_sc *kd_sc;

/**
 * kd_sesscache_init() - map the shared cache (supervisor, before the workers fork)
 *
 * Return: 0, or -1 after logging why (sessions then resume by ticket only).
 */
int kd_sesscache_init(void)
{
	pthread_mutexattr_t attr;
	struct kd_sc *sc;

	sc = mmap(NULL, sizeof(*sc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sc == MAP_FAILED) {
		kd_log(LOG_ERR, "session cache: mmap: %s: TLS 1.2 session ids will not resume",
		       strerror(errno));
		return -1;
	}
	madvise(sc, sizeof(*sc), MADV_DONTDUMP);
	if (pthread_mutexattr_init(&attr) ||
	    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&sc->lock, &attr)) {
		kd_log(LOG_ERR, "session cache: no process-shared mutex: TLS 1.2 session ids "
		       "will not resume");
		munmap(sc, sizeof(*sc));
		return -1;
	}
	pthread_mutexattr_destroy(&attr);
	kd_sc = sc;
	return 0;
}

static void kd_sc_lock(void)
{
	if (pthread_mutex_lock(&kd_sc->lock) == EOWNERDEAD) {
		/* Its owner died mid-update: no slot can be trusted. */
		OPENSSL_cleanse(kd_sc->slot, sizeof(kd_sc->slot));
		pthread_mutex_consistent(&kd_sc->lock);
		kd_log(LOG_WARNING, "session cache: a worker died holding it: emptied");
	}
}

static void kd_sc_unlock(void)
{
	pthread_mutex_unlock(&kd_sc->lock);
}

/* FNV-1a: ids are random, any spread will do. */
static unsigned int kd_sc_home(const uint8_t *id, unsigned int len)
{
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *id++) * 16777619u;
	return h % KD_SC_SLOTS;
}

static struct kd_sc_slot *kd_sc_find(const uint8_t *id, unsigned int len, int64_t now)
{
	unsigned int i, home = kd_sc_home(id, len);

	for (i = 0; i < KD_SC_PROBE; i++) {
		struct kd_sc_slot *s = &kd_sc->slot[(home + i) % KD_SC_SLOTS];

		if (s->expires > now && s->id_len == len && !memcmp(s->id, id, len))
			return s;
	}
	return NULL;
}

/**
 * kd_sesscache_put() - keep a session under its id
 * @id: the session id
 * @id_len: its length (1..32)
 * @blob: the session, in the engine's own form (OpenSSL's DER, the mbedTLS
 *	engine's serialisation: each engine checks it is its own)
 * @len: its length
 * @expires: Unix time it stops being resumable
 *
 * Return: 0, or -1 when not kept (no cache, a bad id, too big: tickets only).
 */
int kd_sesscache_put(const uint8_t *id, unsigned int id_len, const void *blob, size_t len,
		     int64_t expires)
{
	struct kd_sc_slot *s, *victim;
	int64_t now = time(NULL);
	unsigned int i, home;

	if (!kd_sc || !id_len || id_len > SSL_MAX_SSL_SESSION_ID_LENGTH ||
	    len > sizeof(victim->der))
		return -1;
	home = kd_sc_home(id, id_len);
	kd_sc_lock();
	/* The same id again, else a free or expired slot, else the oldest. */
	victim = kd_sc_find(id, id_len, now);
	for (i = 0; i < KD_SC_PROBE && !victim; i++) {
		s = &kd_sc->slot[(home + i) % KD_SC_SLOTS];
		if (s->expires <= now)
			victim = s;
	}
	if (!victim) {
		victim = &kd_sc->slot[home];
		for (i = 1; i < KD_SC_PROBE; i++) {
			s = &kd_sc->slot[(home + i) % KD_SC_SLOTS];
			if (s->expires < victim->expires)
				victim = s;
		}
	}
	OPENSSL_cleanse(victim, sizeof(*victim));
	memcpy(victim->der, blob, len);
	victim->len = (uint32_t)len;
	victim->id_len = (uint8_t)id_len;
	memcpy(victim->id, id, id_len);
	victim->expires = expires;
	kd_sc_unlock();
	return 0;
}

/**
 * kd_sesscache_get_blob() - the session kept under @id
 * @id: the session id
 * @id_len: its length
 * @out: a copy of the session, as kd_sesscache_put() got it
 * @cap: room in @out
 *
 * Return: its length, or 0 when none is kept (or it does not fit).
 */
size_t kd_sesscache_get_blob(const uint8_t *id, unsigned int id_len, void *out, size_t cap)
{
	struct kd_sc_slot *s;
	size_t n = 0;

	if (!kd_sc || !id_len || id_len > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return 0;
	kd_sc_lock();
	s = kd_sc_find(id, id_len, time(NULL));
	if (s && s->len <= cap) {
		n = s->len;
		memcpy(out, s->der, n);
	}
	kd_sc_unlock();
	return n;
}

static void kd_sc_store(SSL_SESSION *sess)
{
	unsigned char der[sizeof(((struct kd_sc_slot *)0)->der)], *p = der;
	unsigned int len;
	const unsigned char *id = SSL_SESSION_get_id(sess, &len);
	int n = i2d_SSL_SESSION(sess, NULL);

	/* Too big (a long client chain): tickets only. */
	if (n <= 0 || (size_t)n > sizeof(der))
		return;
	n = i2d_SSL_SESSION(sess, &p);
	if (n > 0)
		kd_sesscache_put(id, len, der, (size_t)n,
				 (int64_t)SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess));
	OPENSSL_cleanse(der, sizeof(der));
}

/*
 * OpenSSL's new-session callback: TLS 1.2 full handshakes (TLS 1.3 sessions
 * travel in tickets).  @token: the session's token for the close_notify
 * policy, put in the session first so that it comes back with it.
 * Return: 0, OpenSSL keeps its reference.
 */
int kd_sesscache_new(SSL *ssl, SSL_SESSION *sess, const uint8_t token[KD_TOKEN_LEN])
{
	if (SSL_version(ssl) != TLS1_2_VERSION)
		return 0;
	if (token && !SSL_SESSION_set1_ticket_appdata(sess, token, KD_TOKEN_LEN))
		return 0;
	kd_sc_store(sess);
	return 0;
}

/**
 * kd_sesscache_get() - the session a TLS 1.2 client names by id
 * @id: the id from its ClientHello
 * @len: its length
 *
 * Return: a new SSL_SESSION the caller owns, or NULL (a full handshake).
 */
SSL_SESSION *kd_sesscache_get(const unsigned char *id, int len)
{
	unsigned char der[sizeof(((struct kd_sc_slot *)0)->der)];
	const unsigned char *p = der;
	SSL_SESSION *sess = NULL;
	size_t n;

	if (len <= 0)
		return NULL;
	n = kd_sesscache_get_blob(id, (unsigned int)len, der, sizeof(der));
	if (n)
		sess = d2i_SSL_SESSION(NULL, &p, (long)n);
	OPENSSL_cleanse(der, sizeof(der));
	return sess;
}

/* OpenSSL's remove callback: a session that must not resume any more. */
void kd_sesscache_remove(SSL_SESSION *sess)
{
	unsigned int len;
	const unsigned char *id = SSL_SESSION_get_id(sess, &len);
	struct kd_sc_slot *s;

	if (!kd_sc || !len || len > SSL_MAX_SSL_SESSION_ID_LENGTH)
		return;
	kd_sc_lock();
	s = kd_sc_find(id, len, time(NULL));
	if (s)
		OPENSSL_cleanse(s, sizeof(*s));
	kd_sc_unlock();
}
