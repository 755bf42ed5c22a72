// SPDX-License-Identifier: GPL-2.0
/*
 * The central certificate store: a directory of certificates named by the
 * host they serve, as HTTP.SYS's CCS.  For "www.example.test" it holds
 * www.example.test.pem (certificate, chain and key in one file) or
 * www.example.test.crt with www.example.test.key; a wildcard certificate
 * for "*.example.test" is named _.example.test.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "khttpsd.h"

static bool kd_is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* NAME.pem, else NAME.crt and NAME.key. */
static int kd_ccs_try(const char *store, const char *name, char *cert, char *key, size_t len)
{
	if (snprintf(cert, len, "%s/%s.pem", store, name) >= (int)len)
		return -ENAMETOOLONG;
	if (kd_is_file(cert)) {
		snprintf(key, len, "%s", cert);
		return 0;
	}
	snprintf(cert, len, "%s/%s.crt", store, name);
	snprintf(key, len, "%s/%s.key", store, name);
	return kd_is_file(cert) && kd_is_file(key) ? 0 : -ENOENT;
}

/**
 * kd_ccs_find() - the certificate and key files for @name in @store
 * @store: the store's directory
 * @name: the client's SNI: checked by the kernel (labels of [A-Za-z0-9_-]),
 *	so it can name no other directory
 * @cert: the certificate's path, malloc'd, on success (a path there before is freed)
 * @key: the key's path (the same file for NAME.pem), likewise
 *
 * The exact name first, then the wildcard one label up.
 *
 * Return: 0, -ENOENT, or -ENOMEM.
 */
int kd_ccs_find(const char *store, const char *name, char **cert, char **key)
{
	const char *parent = strchr(name, '.');
	char wild[256], c[PATH_MAX], k[PATH_MAX];
	char *dc, *dk;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return -ENOENT;
	if (kd_ccs_try(store, name, c, k, sizeof(c)) &&
	    (!parent || !parent[1] || snprintf(wild, sizeof(wild), "_%s", parent) >= (int)sizeof(wild) ||
	     kd_ccs_try(store, wild, c, k, sizeof(c))))
		return -ENOENT;
	dc = strdup(c);
	dk = strdup(k);
	if (!dc || !dk) {
		free(dc);
		free(dk);
		return -ENOMEM;
	}
	free(*cert);
	free(*key);
	*cert = dc;
	*key = dk;
	return 0;
}
