// SPDX-License-Identifier: GPL-2.0
/*
 * The certificate cache each engine keeps: one loaded credential set per
 * (certificate, key, chain, client CAs, CRL, client-certificate mode),
 * checked against the files at every handshake and rebuilt when one of them
 * changes, so a certificate replaced on disk is served from the next
 * handshake on.  What a credential set is belongs to the engine (an
 * SSL_CTX, or mbedTLS's parsed certificates and key): it passes build and
 * free functions.  Which files may be read at all is decided here, once for
 * both engines: only below a --trust directory, and no private key that
 * group or others can read.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "khttpsd.h"

/* Which version of a file a cached credential set was built from. */
struct kd_file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct kd_cc_entry {
	uint32_t hash;			/* of the paths and mode: its bucket */
	int next;			/* the next entry in its bucket, or -1 */
	char *path[KD_FILES];		/* "" for none */
	uint8_t client_cert;		/* enum khttps_client_cert */
	struct kd_file_id id[KD_FILES];
	void *creds;			/* in a bucket while set */
	/* The files changed into something unusable: the versions that failed. */
	bool stale;
	struct kd_file_id bad[KD_FILES];
};

/* FNV-1a over the paths, NUL-separated, and the client-certificate mode. */
static uint32_t kd_paths_hash(const char *const path[KD_FILES], uint8_t client_cert)
{
	uint32_t h = 2166136261u;
	const char *p;
	int i;

	for (i = 0; i < KD_FILES; i++) {
		for (p = path[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h *= 16777619u;
	}
	return (h ^ client_cert) * 16777619u;
}

static void kd_entry_unhash(struct kd_certcache *cc, struct kd_cc_entry *e)
{
	int *link = &cc->bucket[e->hash & cc->mask];

	while (*link >= 0 && &cc->entry[*link] != e)
		link = &cc->entry[*link].next;
	if (*link >= 0)
		*link = e->next;
}

static void kd_entry_clear(struct kd_certcache *cc, struct kd_cc_entry *e)
{
	int i;

	if (e->creds) {
		kd_entry_unhash(cc, e);
		cc->free(e->creds);
	}
	for (i = 0; i < KD_FILES; i++)
		free(e->path[i]);
	memset(e, 0, sizeof(*e));
}

/* The first use: the entries, and a power-of-two bucket array at least as large. */
static int kd_cache_alloc(struct kd_certcache *cc, const struct kd_config *cfg)
{
	unsigned int n = 1, i;

	cc->size = cfg->cache ?: 1024;
	while (n < cc->size)
		n <<= 1;
	cc->entry = calloc(cc->size, sizeof(*cc->entry));
	cc->bucket = malloc(n * sizeof(*cc->bucket));
	if (!cc->entry || !cc->bucket) {
		free(cc->entry);
		free(cc->bucket);
		cc->entry = NULL;
		cc->bucket = NULL;
		kd_log(LOG_ERR, "out of memory for the certificate cache");
		return -1;
	}
	for (i = 0; i < n; i++)
		cc->bucket[i] = -1;
	cc->mask = n - 1;
	return 0;
}

static bool kd_trusted(const struct kd_config *cfg, const char *path)
{
	char real[PATH_MAX];
	int i;

	if (!realpath(path, real))
		return false;
	for (i = 0; i < cfg->ntrust; i++) {
		size_t n = strlen(cfg->trust[i]);

		if (!strncmp(real, cfg->trust[i], n) && (real[n] == '/' ||
		    (n > 0 && cfg->trust[i][n - 1] == '/')))
			return true;
	}
	return false;
}

/* Every file named is below a --trust directory, or a refusal is logged. */
static bool kd_all_trusted(const struct kd_config *cfg, const char *const path[KD_FILES])
{
	int f;

	for (f = 0; f < KD_FILES; f++) {
		if (*path[f] && !kd_trusted(cfg, path[f])) {
			kd_log(LOG_ERR, "refusing %s: not under a trusted directory (--trust)", path[f]);
			return false;
		}
	}
	return true;
}

static bool kd_file_same(const struct kd_file_id *id, const struct stat *st)
{
	return id->dev == st->st_dev && id->ino == st->st_ino && id->size == st->st_size &&
	       !memcmp(&id->mtime, &st->st_mtim, sizeof(st->st_mtim));
}

static bool kd_files_same(const struct kd_file_id *id, const struct stat *st,
			  const char *const path[KD_FILES])
{
	int i;

	for (i = 0; i < KD_FILES; i++)
		if (*path[i] && !kd_file_same(&id[i], &st[i]))
			return false;
	return true;
}

static void kd_files_note(struct kd_file_id *id, const struct stat *st)
{
	int i;

	for (i = 0; i < KD_FILES; i++) {
		id[i].dev = st[i].st_dev;
		id[i].ino = st[i].st_ino;
		id[i].size = st[i].st_size;
		id[i].mtime = st[i].st_mtim;
	}
}

/**
 * kd_certcache_get() - the credentials for @b's files, loaded or reloaded
 * @cc: the engine's cache
 * @cfg: daemon configuration (trusted directories, cache size)
 * @b: the binding (cert, key, chain, ca, crl, client_cert)
 *
 * Return: the engine's credential set, owned by the cache (valid until the
 * next call), or NULL after logging why.
 */
void *kd_certcache_get(struct kd_certcache *cc, const struct kd_config *cfg,
		       const struct kd_binding *b)
{
	const char *const path[KD_FILES] = { b->cert ?: "", b->key ?: "", b->chain ?: "",
					     b->ca ?: "", b->crl ?: "" };
	uint32_t hash = kd_paths_hash(path, b->client_cert);
	struct stat st[KD_FILES] = { 0 };
	struct kd_cc_entry *e;
	int f, i;

	for (f = 0; f < KD_FILES; f++) {
		if (!*path[f] && f != KD_CERT && f != KD_KEY)
			continue;
		if (stat(path[f], &st[f])) {
			kd_log(LOG_ERR, "cannot read %s: %s", path[f], strerror(errno));
			return NULL;
		}
	}
	if (st[KD_KEY].st_mode & 077) {
		kd_log(LOG_ERR, "refusing private key %s: readable by group or others (mode %04o; chmod 600 it)",
		       path[KD_KEY], st[KD_KEY].st_mode & 07777);
		return NULL;
	}
	if (!cc->entry && kd_cache_alloc(cc, cfg))
		return NULL;
	for (i = cc->bucket[hash & cc->mask]; i >= 0; i = e->next) {
		void *fresh;

		e = &cc->entry[i];
		if (e->hash != hash || e->client_cert != b->client_cert)
			continue;
		for (f = 0; f < KD_FILES && !strcmp(e->path[f], path[f]); f++)
			;
		if (f < KD_FILES)
			continue;
		/*
		 * The very files (device, inode, size, mtime) that were
		 * found under a trusted directory when this entry was built:
		 * no need to resolve the paths again.
		 */
		if (kd_files_same(e->id, st, path))
			return e->creds;
		if (e->stale && kd_files_same(e->bad, st, path))
			return e->creds;
		/*
		 * Replaced on disk.  Files replaced one after another
		 * (certificate, then key) do not fit together for a
		 * moment: serve the version loaded before until they do.
		 */
		if (!kd_all_trusted(cfg, path))
			return NULL;
		fresh = cc->build(cfg, path, b->client_cert);
		if (!fresh) {
			kd_log(LOG_WARNING, "%s changed but cannot be used; serving the version loaded before",
			       path[KD_CERT]);
			e->stale = true;
			kd_files_note(e->bad, st);
			return e->creds;
		}
		cc->free(e->creds);
		e->creds = fresh;
		e->stale = false;
		kd_files_note(e->id, st);
		return e->creds;
	}
	/* Not cached: the oldest loaded makes room. */
	if (!kd_all_trusted(cfg, path))
		return NULL;
	e = &cc->entry[cc->next];
	cc->next = (cc->next + 1) % cc->size;
	kd_entry_clear(cc, e);
	for (f = 0; f < KD_FILES; f++) {
		e->path[f] = strdup(path[f]);
		if (!e->path[f]) {
			kd_entry_clear(cc, e);
			return NULL;
		}
	}
	e->creds = cc->build(cfg, path, b->client_cert);
	if (!e->creds) {
		kd_entry_clear(cc, e);
		return NULL;
	}
	e->hash = hash;
	e->client_cert = b->client_cert;
	kd_files_note(e->id, st);
	e->next = cc->bucket[hash & cc->mask];
	cc->bucket[hash & cc->mask] = (int)(e - cc->entry);
	return e->creds;
}

/**
 * kd_certcache_flush() - forget every cached certificate (SIGHUP)
 * @cc: the engine's cache
 */
void kd_certcache_flush(struct kd_certcache *cc)
{
	unsigned int i;

	for (i = 0; cc->entry && i < cc->size; i++)
		kd_entry_clear(cc, &cc->entry[i]);
}
