// SPDX-License-Identifier: GPL-2.0
/* khttpsctl conns: the namespace's open connections (KHTTPS_CMD_CONN_GET). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/tls.h>

#include "addr.h"
#include "ctl.h"
#include "events.h"
#include "json.h"
#include "libkhttps.h"

static const char *const phase_names[] = {
	[KHTTPS_PHASE_WAITING] = "waiting", [KHTTPS_PHASE_HANDSHAKE] = "handshake",
	[KHTTPS_PHASE_RELAY] = "relay", [KHTTPS_PHASE_QUEUED] = "queued",
	[KHTTPS_PHASE_APP] = "app", [KHTTPS_PHASE_CLOSING] = "closing",
	[KHTTPS_PHASE_HELLO] = "hello",
};

struct conns_state {
	bool json;
	int n;
};

static void json_key(const char *key, const char *value)
{
	printf(",\"%s\":", key);
	khttps_json_string(stdout, value);
}

static int print_conn(struct nlattr **tb, void *arg)
{
	struct conns_state *st = arg;
	char peer[KHTTPS_ADDRSTRLEN] = "-", local[KHTTPS_ADDRSTRLEN] = "-", binding[300];
	char sni[256] = "", alpn[256] = "";
	uint64_t stats[__KHTTPS_STAT_MAX];
	struct sockaddr_storage ss;
	unsigned int version = 0, cipher = 0;
	uint8_t phase;
	uint64_t id, age;

	if (!tb[KHTTPS_A_CONN_ID] || !tb[KHTTPS_A_PHASE] || !tb[KHTTPS_A_AGE_MS])
		return 0;
	id = nla_get_u64(tb[KHTTPS_A_CONN_ID]);
	phase = nla_get_u8(tb[KHTTPS_A_PHASE]);
	age = nla_get_u64(tb[KHTTPS_A_AGE_MS]);
	if (!khttps_nl_get_addr(tb[KHTTPS_A_PEER], &ss))
		khttps_addr_format(&ss, peer, sizeof(peer));
	if (!khttps_nl_get_addr(tb[KHTTPS_A_LOCAL], &ss))
		khttps_addr_format(&ss, local, sizeof(local));
	binding[0] = '\0';
	if (tb[KHTTPS_A_BINDING_ID])
		khttps_binding_name(tb, binding, sizeof(binding));
	if (tb[KHTTPS_A_TLS_VERSION] && tb[KHTTPS_A_CIPHER]) {
		version = nla_get_u16(tb[KHTTPS_A_TLS_VERSION]);
		cipher = nla_get_u16(tb[KHTTPS_A_CIPHER]);
	}
	if (tb[KHTTPS_A_SNI])
		nla_strlcpy(sni, tb[KHTTPS_A_SNI], sizeof(sni));
	if (tb[KHTTPS_A_ALPN])
		nla_strlcpy(alpn, tb[KHTTPS_A_ALPN], sizeof(alpn));
	ctl_read_stats(tb[KHTTPS_A_STATS], stats);
	if (st->json) {
		printf("%s{\"id\":%llu", st->n ? "," : "", (unsigned long long)id);
		json_key("phase", phase < sizeof(phase_names) / sizeof(phase_names[0]) ?
			 phase_names[phase] : "unknown");
		json_key("peer", peer);
		json_key("local", local);
		if (binding[0])
			json_key("binding", binding);
		if (version) {
			json_key("version", khttps_tls_version_name(version));
			json_key("cipher", khttps_cipher_name(version, cipher));
		}
		if (sni[0])
			json_key("sni", sni);
		if (alpn[0])
			json_key("alpn", alpn);
		printf(",\"bytes_in\":%llu,\"bytes_out\":%llu,\"age_ms\":%llu}",
		       (unsigned long long)stats[KHTTPS_STAT_BYTES_IN],
		       (unsigned long long)stats[KHTTPS_STAT_BYTES_OUT], (unsigned long long)age);
	} else {
		if (!st->n)
			printf("%-8s %-22s %-24s %-9s %-7s %-22s %-20s %10s %10s %8s\n", "ID", "PEER",
			       "BINDING", "PHASE", "VERSION", "CIPHER", "SNI", "IN", "OUT", "AGE");
		printf("%-8llu %-22s %-24s %-9s %-7s %-22s %-20s %10llu %10llu %7llus\n",
		       (unsigned long long)id, peer, binding[0] ? binding : "-",
		       phase < sizeof(phase_names) / sizeof(phase_names[0]) ? phase_names[phase] : "?",
		       version ? khttps_tls_version_name(version) : "-",
		       version ? khttps_cipher_name(version, cipher) : "-", sni[0] ? sni : "-",
		       (unsigned long long)stats[KHTTPS_STAT_BYTES_IN],
		       (unsigned long long)stats[KHTTPS_STAT_BYTES_OUT],
		       (unsigned long long)(age / 1000));
	}
	st->n++;
	return 0;
}

int ctl_conns(int argc, char **argv, const struct ctl_opts *o)
{
	struct conns_state st = { .json = o->json };
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	if (argc == 2 && !strcmp(argv[1], "--json")) {
		st.json = true;
	} else if (argc != 1) {
		fputs("usage: khttpsctl [--json] conns\n", stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		return 1;
	}
	msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_CONN_GET);
	if (st.json)
		putchar('[');
	e = msg ? khttps_nl_request(&nl, msg, print_conn, &st) : -ENOMEM;
	if (st.json)
		printf("]\n");
	else if (!e && !st.n)
		printf("no connections\n");
	if (e)
		ctl_err(0, "conns: %s", e == -ENOMEM && !msg ? "out of memory" : nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}
