/* SPDX-License-Identifier: LGPL-2.1 OR GPL-2.0 */
/*
 * libkhttps: for applications that take plaintext connections from a khttps
 * accept queue.  All functions return 0 or a negative errno unless noted.
 */
#ifndef LIBKHTTPS_H
#define LIBKHTTPS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0". */
const char *khttps_lib_version(void);

/*
 * The loaded module's version into @buf (NUL-terminated).
 * Returns 0, -ENOENT when khttps.ko is not loaded, -ENOSPC if @len is too small.
 */
int khttps_module_version(char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* LIBKHTTPS_H */
