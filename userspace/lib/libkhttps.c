// SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0
/* libkhttps: version queries (accept-queue API arrives with queue mode). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libkhttps.h"

#define KHTTPS_API __attribute__((visibility("default")))

KHTTPS_API const char *khttps_lib_version(void)
{
	return KHTTPS_VERSION;
}

KHTTPS_API int khttps_module_version(char *buf, size_t len)
{
	FILE *f = fopen("/sys/module/khttps/version", "re");
	char line[64];
	size_t n;

	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	n = strcspn(line, "\n");
	if (n + 1 > len)
		return -ENOSPC;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return 0;
}
