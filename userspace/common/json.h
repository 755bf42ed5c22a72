/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal JSON output for the tools' --json views. */
#ifndef KHTTPS_JSON_H
#define KHTTPS_JSON_H

#include <stdio.h>

void khttps_json_string(FILE *f, const char *s);

#endif /* KHTTPS_JSON_H */
