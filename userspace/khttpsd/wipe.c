// SPDX-License-Identifier: GPL-2.0
/*
 * Secrets left behind.  The daemon wipes its own copies of keys, but
 * OpenSSL frees some buffers that held secrets without wiping them (the
 * encoded session it seals into a ticket holds the TLS 1.2 master secret),
 * and key derivation runs in OpenSSL's stack frames, deeper than ours.  A
 * core of a worker must show no key of a past handshake (tests/guest/
 * secrets.sh), so every block OpenSSL frees is wiped first.  Stacks need
 * nothing here: each handshake runs on a stack of its own, left out of
 * cores and wiped when it ends (worker.c).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "khttpsd.h"

static void *kd_ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void kd_ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* realloc may move the block and free the old one unwiped: move it ourselves. */
static void *kd_ossl_realloc(void *p, size_t n, const char *file, int line)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(n);
	if (!n) {
		kd_ossl_free(p, file, line);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (n <= old)
		return p;
	q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	kd_ossl_free(p, file, line);
	return q;
}

/**
 * kd_wipe_init() - make OpenSSL wipe every block it frees
 *
 * Must run before OpenSSL allocates anything (first thing in main()).
 *
 * Return: 0, or -1 when OpenSSL had allocated already.
 */
int kd_wipe_init(void)
{
	return CRYPTO_set_mem_functions(kd_ossl_malloc, kd_ossl_realloc, kd_ossl_free) ? 0 : -1;
}
