/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The error log: %KHTTPS_CMD_EVENT notifications on %KHTTPS_MCGRP_EVENTS,
 * one per refused or failed connection, read by khttpsctl monitor and by
 * khttpsd --error-log.
 */
#ifndef KHTTPS_EVENTS_H
#define KHTTPS_EVENTS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "nl.h"

struct khttps_event {
	uint64_t time_ns;		/* CLOCK_REALTIME */
	uint64_t conn_id;		/* 0: refused before it had one */
	uint32_t reason;		/* enum khttps_stat */
	struct sockaddr_storage peer;	/* ss_family 0 when unknown */
	struct sockaddr_storage local;
	char binding[300];		/* "" when none was chosen yet */
	char sni[256];
};

/* Called for each event (NULL: a signal came); a non-zero return ends khttps_nl_events(). */
typedef int (*khttps_event_fn)(const struct khttps_event *ev, void *arg);

void khttps_binding_name(struct nlattr **tb, char *out, size_t len);
int khttps_event_read(struct nlattr **tb, struct khttps_event *ev);
void khttps_event_line(const struct khttps_event *ev, char *buf, size_t len);
void khttps_event_json(FILE *f, const struct khttps_event *ev);
int khttps_nl_events(struct khttps_nl *nl, khttps_event_fn fn, void *arg, uint64_t *lost);

#endif /* KHTTPS_EVENTS_H */
