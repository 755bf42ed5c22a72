// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl binding add|del|show
 *
 *   binding add BINDING cert CERT.pem key KEY.pem backend HOST:PORT
 *   binding add BINDING cert CERT.pem key KEY.pem queue NAME [user USER] [group GROUP]
 *   binding add ccs:PORT store DIR {backend ... | queue ...}
 *   binding del BINDING
 *   binding show
 *
 * BINDING is ADDR:PORT (an address binding), NAME:PORT or *.NAME:PORT (a
 * host binding, chosen by the client's SNI), or ccs:PORT.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/tls.h>

#include "addr.h"
#include "ctl.h"
#include "json.h"
#include "nl.h"

#define USAGE_ADD "usage: khttpsctl binding add {ADDR:PORT | HOSTNAME:PORT} cert CERT.pem key KEY.pem\n" \
		  "                                {backend HOST:PORT | queue NAME [user USER] [group GROUP]}\n" \
		  "       khttpsctl binding add ccs:PORT store DIR {backend ... | queue ...}\n" \
		  "  policy words: [tls 1.2|1.3] [tls13 on|off] [alpn LIST] [chain FILE]\n" \
		  "                [clientcert off|request|require] [ca FILE] [crl FILE]\n" \
		  "                [resume on|off] [closenotify on|off|default]\n" \
		  "                [engine openssl|mbedtls|default] [proxy v2|off] (forward mode)\n"

/* What a binding matches, as the command line names it. */
struct bind_spec {
	int kind;			/* enum khttps_bind_kind */
	struct sockaddr_storage addr;	/* KHTTPS_BIND_ADDR */
	char host[254];			/* KHTTPS_BIND_HOST, lower case */
	unsigned int port;		/* HOST, CCS */
};

/* "192.0.2.1:443", "[::]:443", "www.example.test:443", "*.example.test:443", "ccs:443" */
static int parse_spec(const char *s, struct bind_spec *b)
{
	const char *colon = strrchr(s, ':');
	char err[256], *end;
	bool numeric;
	size_t hlen;
	unsigned long port;

	memset(b, 0, sizeof(*b));
	if (!khttps_addr_parse(s, &b->addr, err, sizeof(err))) {
		b->kind = KHTTPS_BIND_ADDR;
		return 0;
	}
	if (*s == '[' || !colon || strchr(s, ':') != colon) {
		fprintf(stderr, "khttpsctl: %s\n", err);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	hlen = (size_t)(colon - s);
	/* A trailing dot names the same host. */
	if (hlen && s[hlen - 1] == '.')
		hlen--;
	if (!colon[1] || *end || errno || port < 1 || port > 65535) {
		fprintf(stderr, "khttpsctl: '%s': the port must be 1..65535\n", s);
		return -1;
	}
	b->port = (unsigned int)port;
	if (hlen == 3 && !strncmp(s, "ccs", 3)) {
		b->kind = KHTTPS_BIND_CCS;
		return 0;
	}
	if (!hlen || hlen >= sizeof(b->host)) {
		fprintf(stderr, "khttpsctl: '%s' is not ADDR:PORT, HOSTNAME:PORT or ccs:PORT\n", s);
		return -1;
	}
	memcpy(b->host, s, hlen);
	b->host[hlen] = '\0';
	if (!khttps_host_ok(b->host, true, &numeric) && numeric) {
		fprintf(stderr, "khttpsctl: %s\n", err);
		return -1;
	}
	if (!khttps_host_ok(b->host, true, &numeric) || strchr(b->host + 1, '*')) {
		fprintf(stderr, "khttpsctl: '%s': a host name is labels of letters, digits, '-' and '_' "
			"joined by dots, maybe after \"*.\"\n", s);
		return -1;
	}
	for (end = b->host; *end; end++)
		*end = (char)tolower((unsigned char)*end);
	b->kind = KHTTPS_BIND_HOST;
	return 0;
}

static int put_spec(struct nl_msg *msg, const struct bind_spec *b)
{
	if (b->kind == KHTTPS_BIND_ADDR)
		return khttps_nl_put_addr(msg, KHTTPS_A_BIND, &b->addr);
	if (nla_put_u8(msg, KHTTPS_A_KIND, (uint8_t)b->kind) ||
	    nla_put_u16(msg, KHTTPS_A_PORT, (uint16_t)b->port))
		return -1;
	return b->kind == KHTTPS_BIND_HOST ? nla_put_string(msg, KHTTPS_A_HOST, b->host) : 0;
}

/* @b's name as the kernel's dump spells it (format_spec()). */
static void spec_format(const struct bind_spec *b, char *out, size_t len)
{
	if (b->kind == KHTTPS_BIND_HOST)
		snprintf(out, len, "%s:%u", b->host, b->port);
	else if (b->kind == KHTTPS_BIND_CCS)
		snprintf(out, len, "ccs:%u", b->port);
	else
		khttps_addr_format(&b->addr, out, len);
}

/* The binding's name as parse_spec() reads it. */
static void format_spec(struct nlattr **tb, char *out, size_t len)
{
	int kind = tb[KHTTPS_A_KIND] ? nla_get_u8(tb[KHTTPS_A_KIND]) : KHTTPS_BIND_ADDR;
	unsigned int port = tb[KHTTPS_A_PORT] ? nla_get_u16(tb[KHTTPS_A_PORT]) : 0;
	struct sockaddr_storage ss;

	if (kind == KHTTPS_BIND_HOST && tb[KHTTPS_A_HOST]) {
		snprintf(out, len, "%s:%u", nla_get_string(tb[KHTTPS_A_HOST]), port);
	} else if (kind == KHTTPS_BIND_CCS) {
		snprintf(out, len, "ccs:%u", port);
	} else {
		khttps_nl_get_addr(tb[KHTTPS_A_BIND], &ss);
		khttps_addr_format(&ss, out, len);
	}
}

/* A user or group name, or a number: 0 and *id set, or -1 with a message. */
static int lookup_id(const char *what, const char *name, uint32_t *id)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno && n < UINT32_MAX) {
		*id = n;
		return 0;
	}
	if (!strcmp(what, "user")) {
		struct passwd *pw = getpwnam(name);

		if (pw) {
			*id = pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(name);

		if (gr) {
			*id = gr->gr_gid;
			return 0;
		}
	}
	fprintf(stderr, "khttpsctl: no such %s '%s'\n", what, name);
	return -1;
}

/* The daemon reads these as root, maybe from another cwd: absolute, and readable now. */
static int abs_path(const char *what, const char *in, char *out)
{
	if (!realpath(in, out)) {
		fprintf(stderr, "khttpsctl: cannot use %s '%s': %s\n", what, in, strerror(errno));
		return -1;
	}
	if (access(out, R_OK)) {
		fprintf(stderr, "khttpsctl: cannot read %s '%s': %s\n", what, out, strerror(errno));
		return -1;
	}
	return 0;
}

/* The words after BINDING, each with one value. */
struct words {
	const char *cert, *key, *store, *backend, *queue, *user, *group;
	const char *tls, *tls13, *alpn, *chain, *clientcert, *ca, *crl, *proxy, *resume;
	const char *closenotify, *engine;
};

static int parse_words(int argc, char **argv, struct words *w, const char *usage)
{
	static const struct {
		const char *name;
		size_t off;
	} table[] = {
		{ "cert", offsetof(struct words, cert) },
		{ "key", offsetof(struct words, key) },
		{ "store", offsetof(struct words, store) },
		{ "backend", offsetof(struct words, backend) },
		{ "queue", offsetof(struct words, queue) },
		{ "user", offsetof(struct words, user) },
		{ "group", offsetof(struct words, group) },
		{ "tls", offsetof(struct words, tls) },
		{ "tls13", offsetof(struct words, tls13) },
		{ "alpn", offsetof(struct words, alpn) },
		{ "chain", offsetof(struct words, chain) },
		{ "clientcert", offsetof(struct words, clientcert) },
		{ "ca", offsetof(struct words, ca) },
		{ "crl", offsetof(struct words, crl) },
		{ "proxy", offsetof(struct words, proxy) },
		{ "resume", offsetof(struct words, resume) },
		{ "closenotify", offsetof(struct words, closenotify) },
		{ "engine", offsetof(struct words, engine) },
	};
	const char **slot;
	size_t t;
	int i;

	memset(w, 0, sizeof(*w));
	for (i = 0; i < argc; i += 2) {
		for (t = 0; t < sizeof(table) / sizeof(table[0]); t++)
			if (!strcmp(argv[i], table[t].name))
				break;
		if (t == sizeof(table) / sizeof(table[0])) {
			fprintf(stderr, "khttpsctl: unknown word '%s'\n%s", argv[i], usage);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "khttpsctl: '%s' needs a value\n", argv[i]);
			return -1;
		}
		slot = (const char **)((char *)w + table[t].off);
		if (*slot) {
			fprintf(stderr, "khttpsctl: '%s' given twice\n", argv[i]);
			return -1;
		}
		*slot = argv[i + 1];
	}
	return 0;
}

/* A binding's TLS policy; 0 and "" are the defaults. */
struct policy {
	uint16_t min, max;
	char alpn[256];
	char chain[PATH_MAX];
	uint8_t clientcert;	/* enum khttps_client_cert */
	char ca[PATH_MAX], crl[PATH_MAX];
	uint8_t proxy;		/* enum khttps_proxy */
	bool no_resume;		/* resume off */
	uint8_t closenotify;	/* 0: the module's default, 1 on, 2 off */
	uint8_t engine;		/* enum khttps_engine */
};

static const char *const clientcert_words[] = { "off", "request", "require" };
static const char *const engine_words[] = { "default", "openssl", "mbedtls" };

static void policy_read(struct nlattr *nest, struct policy *p)
{
	struct nlattr *tb[KHTTPS_POLICY_A_MAX + 1] = { 0 };

	memset(p, 0, sizeof(*p));
	if (!nest || nla_parse_nested(tb, KHTTPS_POLICY_A_MAX, nest, NULL))
		return;
	if (tb[KHTTPS_POLICY_A_MIN_VERSION])
		p->min = nla_get_u16(tb[KHTTPS_POLICY_A_MIN_VERSION]);
	if (tb[KHTTPS_POLICY_A_MAX_VERSION])
		p->max = nla_get_u16(tb[KHTTPS_POLICY_A_MAX_VERSION]);
	if (tb[KHTTPS_POLICY_A_ALPN])
		nla_strlcpy(p->alpn, tb[KHTTPS_POLICY_A_ALPN], sizeof(p->alpn));
	if (tb[KHTTPS_POLICY_A_CHAIN])
		nla_strlcpy(p->chain, tb[KHTTPS_POLICY_A_CHAIN], sizeof(p->chain));
	if (tb[KHTTPS_POLICY_A_CLIENT_CERT] &&
	    nla_get_u8(tb[KHTTPS_POLICY_A_CLIENT_CERT]) < __KHTTPS_CLIENT_CERT_MAX)
		p->clientcert = nla_get_u8(tb[KHTTPS_POLICY_A_CLIENT_CERT]);
	if (tb[KHTTPS_POLICY_A_CA])
		nla_strlcpy(p->ca, tb[KHTTPS_POLICY_A_CA], sizeof(p->ca));
	if (tb[KHTTPS_POLICY_A_CRL])
		nla_strlcpy(p->crl, tb[KHTTPS_POLICY_A_CRL], sizeof(p->crl));
	if (tb[KHTTPS_POLICY_A_PROXY])
		p->proxy = nla_get_u8(tb[KHTTPS_POLICY_A_PROXY]);
	if (tb[KHTTPS_POLICY_A_RESUME])
		p->no_resume = !nla_get_u8(tb[KHTTPS_POLICY_A_RESUME]);
	if (tb[KHTTPS_POLICY_A_CLOSE_NOTIFY])
		p->closenotify = nla_get_u8(tb[KHTTPS_POLICY_A_CLOSE_NOTIFY]) ? 1 : 2;
	if (tb[KHTTPS_POLICY_A_ENGINE] &&
	    nla_get_u8(tb[KHTTPS_POLICY_A_ENGINE]) < __KHTTPS_ENGINE_MAX)
		p->engine = nla_get_u8(tb[KHTTPS_POLICY_A_ENGINE]);
}

/* Apply the policy words given; Return: 0, or -1 with a message. */
static int policy_words(const struct words *w, struct policy *p)
{
	if (w->tls) {
		if (strcmp(w->tls, "1.2") && strcmp(w->tls, "1.3")) {
			fprintf(stderr, "khttpsctl: tls takes 1.2 or 1.3 (the lowest version offered)\n");
			return -1;
		}
		p->min = !strcmp(w->tls, "1.3") ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	}
	if (w->tls13) {
		if (strcmp(w->tls13, "on") && strcmp(w->tls13, "off")) {
			fprintf(stderr, "khttpsctl: tls13 takes on or off\n");
			return -1;
		}
		p->max = !strcmp(w->tls13, "off") ? TLS_1_2_VERSION : 0;
	}
	if (w->alpn) {
		if (strlen(w->alpn) >= sizeof(p->alpn) || !*w->alpn) {
			fprintf(stderr, "khttpsctl: alpn takes a comma-separated list, at most 255 bytes\n");
			return -1;
		}
		snprintf(p->alpn, sizeof(p->alpn), "%s", w->alpn);
	}
	if (w->chain && abs_path("chain", w->chain, p->chain))
		return -1;
	if (w->clientcert) {
		uint8_t i;

		for (i = 0; i < __KHTTPS_CLIENT_CERT_MAX; i++)
			if (!strcmp(w->clientcert, clientcert_words[i]))
				break;
		if (i == __KHTTPS_CLIENT_CERT_MAX) {
			fprintf(stderr, "khttpsctl: clientcert takes off, request or require\n");
			return -1;
		}
		p->clientcert = i;
	}
	if ((w->ca && abs_path("ca", w->ca, p->ca)) || (w->crl && abs_path("crl", w->crl, p->crl)))
		return -1;
	if (w->proxy) {
		if (strcmp(w->proxy, "v2") && strcmp(w->proxy, "off")) {
			fprintf(stderr, "khttpsctl: proxy takes v2 (a PROXY protocol v2 header) or off\n");
			return -1;
		}
		p->proxy = !strcmp(w->proxy, "v2") ? KHTTPS_PROXY_V2 : KHTTPS_PROXY_OFF;
	}
	if (w->resume) {
		if (strcmp(w->resume, "on") && strcmp(w->resume, "off")) {
			fprintf(stderr, "khttpsctl: resume takes on or off\n");
			return -1;
		}
		p->no_resume = !strcmp(w->resume, "off");
	}
	if (w->closenotify) {
		if (!strcmp(w->closenotify, "default")) {
			p->closenotify = 0;
		} else if (!strcmp(w->closenotify, "on") || !strcmp(w->closenotify, "off")) {
			p->closenotify = !strcmp(w->closenotify, "on") ? 1 : 2;
		} else {
			fprintf(stderr, "khttpsctl: closenotify takes on, off or default "
				"(the module's close_notify parameter)\n");
			return -1;
		}
	}
	if (w->engine) {
		uint8_t i;

		for (i = 0; i < __KHTTPS_ENGINE_MAX; i++)
			if (!strcmp(w->engine, engine_words[i]))
				break;
		if (i == __KHTTPS_ENGINE_MAX) {
			fprintf(stderr, "khttpsctl: engine takes openssl, mbedtls or default "
				"(khttpsd's --engine)\n");
			return -1;
		}
		p->engine = i;
	}
	return 0;
}

static int policy_put(struct nl_msg *msg, const struct policy *p)
{
	struct nlattr *nest = nla_nest_start(msg, KHTTPS_A_POLICY);

	if (!nest || (p->min && nla_put_u16(msg, KHTTPS_POLICY_A_MIN_VERSION, p->min)) ||
	    (p->max && nla_put_u16(msg, KHTTPS_POLICY_A_MAX_VERSION, p->max)) ||
	    (p->alpn[0] && nla_put_string(msg, KHTTPS_POLICY_A_ALPN, p->alpn)) ||
	    (p->chain[0] && nla_put_string(msg, KHTTPS_POLICY_A_CHAIN, p->chain)) ||
	    (p->clientcert && nla_put_u8(msg, KHTTPS_POLICY_A_CLIENT_CERT, p->clientcert)) ||
	    (p->ca[0] && nla_put_string(msg, KHTTPS_POLICY_A_CA, p->ca)) ||
	    (p->crl[0] && nla_put_string(msg, KHTTPS_POLICY_A_CRL, p->crl)) ||
	    (p->proxy && nla_put_u8(msg, KHTTPS_POLICY_A_PROXY, p->proxy)) ||
	    /* Always present: libnl drops an empty nest, and binding set needs
	     * the nest to say "back to all defaults". */
	    nla_put_u8(msg, KHTTPS_POLICY_A_RESUME, !p->no_resume) ||
	    (p->closenotify && nla_put_u8(msg, KHTTPS_POLICY_A_CLOSE_NOTIFY, p->closenotify == 1)) ||
	    (p->engine && nla_put_u8(msg, KHTTPS_POLICY_A_ENGINE, p->engine)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

/* The policy in the words binding add takes; "" when all is default. */
static void policy_format(const struct policy *p, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	if (p->min == TLS_1_3_VERSION)
		n += (size_t)snprintf(out + n, len - n, "%stls 1.3", n ? " " : "");
	if (p->max == TLS_1_2_VERSION && n < len)
		n += (size_t)snprintf(out + n, len - n, "%stls13 off", n ? " " : "");
	if (p->alpn[0] && n < len)
		n += (size_t)snprintf(out + n, len - n, "%salpn %s", n ? " " : "", p->alpn);
	if (p->chain[0] && n < len)
		n += (size_t)snprintf(out + n, len - n, "%schain %s", n ? " " : "", p->chain);
	if (p->clientcert && n < len)
		n += (size_t)snprintf(out + n, len - n, "%sclientcert %s", n ? " " : "",
				      clientcert_words[p->clientcert]);
	if (p->ca[0] && n < len)
		n += (size_t)snprintf(out + n, len - n, "%sca %s", n ? " " : "", p->ca);
	if (p->crl[0] && n < len)
		n += (size_t)snprintf(out + n, len - n, "%scrl %s", n ? " " : "", p->crl);
	if (p->no_resume && n < len)
		n += (size_t)snprintf(out + n, len - n, "%sresume off", n ? " " : "");
	if (p->closenotify && n < len)
		n += (size_t)snprintf(out + n, len - n, "%sclosenotify %s", n ? " " : "",
				      p->closenotify == 1 ? "on" : "off");
	if (p->engine && n < len)
		n += (size_t)snprintf(out + n, len - n, "%sengine %s", n ? " " : "",
				      engine_words[p->engine]);
	if (p->proxy == KHTTPS_PROXY_V2 && n < len)
		snprintf(out + n, len - n, "%sproxy v2", n ? " " : "");
}

/* After a change, a binding with no daemon to use it deserves a word. */
static void warn_no_daemon(struct khttps_nl *nl, const char *name)
{
	if (ctl_daemon_running(nl) == 0)
		/* Not an error: a boot may add bindings before khttpsd starts. */
		fprintf(stderr, "khttpsctl: warning: no khttpsd is running in this network namespace; "
			"handshakes on %s wait for one (up to handshake_timeout_ms)\n", name);
}

static int binding_add(int argc, char **argv)
{
	char cert[PATH_MAX], key[PATH_MAX], store[PATH_MAX], err[256];
	struct sockaddr_storage backend;
	struct bind_spec bind;
	struct policy pol = { 0 };
	uint32_t uid = 0, gid = 0;
	struct khttps_nl nl;
	struct nl_msg *msg;
	struct words w;
	int e;

	if (argc < 2) {
		fputs(USAGE_ADD, stderr);
		return 2;
	}
	if (parse_spec(argv[1], &bind) || parse_words(argc - 2, argv + 2, &w, USAGE_ADD))
		return 2;
	if (bind.kind == KHTTPS_BIND_CCS && (w.cert || w.key || !w.store)) {
		fprintf(stderr, "khttpsctl: a ccs binding takes store DIR, not cert and key\n" USAGE_ADD);
		return 2;
	}
	if (bind.kind != KHTTPS_BIND_CCS && w.store) {
		fprintf(stderr, "khttpsctl: only a ccs:PORT binding has a store\n" USAGE_ADD);
		return 2;
	}
	if ((bind.kind != KHTTPS_BIND_CCS && (!w.cert || !w.key)) || !!w.backend == !!w.queue) {
		fprintf(stderr, "khttpsctl: a binding needs cert, key, and either backend or queue\n"
			USAGE_ADD);
		return 2;
	}
	if ((w.user || w.group) && !w.queue) {
		fprintf(stderr, "khttpsctl: user and group are for queue bindings\n" USAGE_ADD);
		return 2;
	}
	if (w.proxy && w.queue) {
		fprintf(stderr, "khttpsctl: proxy is for forward mode (backend), not queue\n" USAGE_ADD);
		return 2;
	}
	if ((w.user && lookup_id("user", w.user, &uid)) ||
	    (w.group && lookup_id("group", w.group, &gid)))
		return 2;
	if (w.store ? abs_path("store", w.store, store) :
	    abs_path("certificate", w.cert, cert) || abs_path("key", w.key, key))
		return 1;
	if (policy_words(&w, &pol))
		return 2;
	if (w.backend && khttps_addr_resolve(w.backend, &backend, err, sizeof(err))) {
		fprintf(stderr, "khttpsctl: backend %s\n", err);
		return 2;
	}

	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_ADD);
	if (!msg || put_spec(msg, &bind) ||
	    (w.store ? nla_put_string(msg, KHTTPS_A_STORE, store) :
	     nla_put_string(msg, KHTTPS_A_CERT, cert) || nla_put_string(msg, KHTTPS_A_KEY, key)) ||
	    policy_put(msg, &pol) ||
	    (w.backend ? khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &backend) :
			 nla_put_string(msg, KHTTPS_A_QUEUE, w.queue)) ||
	    (w.user && nla_put_u32(msg, KHTTPS_A_QUEUE_UID, uid)) ||
	    (w.group && nla_put_u32(msg, KHTTPS_A_QUEUE_GID, gid))) {
		fprintf(stderr, "khttpsctl: out of memory\n");
		khttps_nl_close(&nl);
		return 1;
	}
	e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		fprintf(stderr, "khttpsctl: binding add %s: %s\n", argv[1], nl.err);
	else
		warn_no_daemon(&nl, argv[1]);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

/* binding set: the named binding's current policy, to change some words of it. */
struct find_state {
	const char *name;
	struct policy *pol;
	bool found;
};

static int find_one(struct nlattr **tb, void *arg)
{
	struct find_state *f = arg;
	char name[300];

	format_spec(tb, name, sizeof(name));
	if (!strcmp(name, f->name)) {
		policy_read(tb[KHTTPS_A_POLICY], f->pol);
		f->found = true;
	}
	return 0;
}

#define USAGE_SET "usage: khttpsctl binding set BINDING [cert CERT.pem key KEY.pem | store DIR]\n" \
		  "                               [backend HOST:PORT] [tls 1.2|1.3] [tls13 on|off]\n" \
		  "                               [alpn LIST] [chain FILE]\n" \
		  "                               [clientcert off|request|require] [ca FILE] [crl FILE]\n" \
		  "                               [resume on|off] [closenotify on|off|default]\n" \
		  "                               [engine openssl|mbedtls|default] [proxy v2|off]\n"

static int binding_set(int argc, char **argv)
{
	char cert[PATH_MAX], key[PATH_MAX], store[PATH_MAX], err[256], name[300];
	struct sockaddr_storage backend;
	struct bind_spec bind;
	struct policy pol;
	struct find_state f = { .name = name, .pol = &pol };
	struct khttps_nl nl;
	struct nl_msg *msg;
	struct words w;
	bool policy;
	int e;

	if (argc < 4) {
		fputs(USAGE_SET, stderr);
		return 2;
	}
	if (parse_spec(argv[1], &bind) || parse_words(argc - 2, argv + 2, &w, USAGE_SET))
		return 2;
	if (w.queue || w.user || w.group) {
		fprintf(stderr, "khttpsctl: a binding's queue cannot change: delete and add it\n");
		return 2;
	}
	if (!!w.cert != !!w.key) {
		fprintf(stderr, "khttpsctl: a certificate changes with its key\n" USAGE_SET);
		return 2;
	}
	if ((w.cert && abs_path("certificate", w.cert, cert)) ||
	    (w.cert && abs_path("key", w.key, key)) || (w.store && abs_path("store", w.store, store)))
		return 1;
	if (w.backend && khttps_addr_resolve(w.backend, &backend, err, sizeof(err))) {
		fprintf(stderr, "khttpsctl: backend %s\n", err);
		return 2;
	}
	policy = w.tls || w.tls13 || w.alpn || w.chain || w.clientcert || w.ca || w.crl ||
		 w.proxy || w.resume || w.closenotify || w.engine;

	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	e = 0;
	if (policy) {
		/* The kernel replaces the whole policy: start from the binding's own. */
		memset(&pol, 0, sizeof(pol));
		spec_format(&bind, name, sizeof(name));
		msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_BINDING_GET);
		e = msg ? khttps_nl_request(&nl, msg, find_one, &f) : -ENOMEM;
		if (!e && !f.found) {
			fprintf(stderr, "khttpsctl: binding set %s: no binding matches\n", argv[1]);
			khttps_nl_close(&nl);
			return 1;
		}
		if (!e && policy_words(&w, &pol)) {
			khttps_nl_close(&nl);
			return 2;
		}
	}
	msg = e ? NULL : khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_SET);
	if (!e && (!msg || put_spec(msg, &bind) ||
		   (w.cert && (nla_put_string(msg, KHTTPS_A_CERT, cert) ||
			       nla_put_string(msg, KHTTPS_A_KEY, key))) ||
		   (w.store && nla_put_string(msg, KHTTPS_A_STORE, store)) ||
		   (w.backend && khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &backend)) ||
		   (policy && policy_put(msg, &pol))))
		e = -ENOMEM;
	if (!e)
		e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		fprintf(stderr, "khttpsctl: binding set %s: %s\n", argv[1],
			e == -ENOMEM ? "out of memory" : nl.err);
	else
		warn_no_daemon(&nl, argv[1]);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

static int binding_del(int argc, char **argv)
{
	struct bind_spec bind;
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	if (argc != 2) {
		fputs("usage: khttpsctl binding del {ADDR:PORT | HOSTNAME:PORT | ccs:PORT}\n", stderr);
		return 2;
	}
	if (parse_spec(argv[1], &bind))
		return 2;
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_msg(&nl, KHTTPS_CMD_BINDING_DEL);
	if (!msg || put_spec(msg, &bind)) {
		khttps_nl_close(&nl);
		return 1;
	}
	e = khttps_nl_request(&nl, msg, NULL, NULL);
	if (e)
		fprintf(stderr, "khttpsctl: binding del %s: %s\n", argv[1], nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

struct show_state {
	const struct ctl_opts *o;
	int n;
};

static int show_one(struct nlattr **tb, void *arg)
{
	static const char *const kinds[] = { "address", "host", "ccs" };
	struct show_state *st = arg;
	struct sockaddr_storage backend;
	char b1[300], b2[KHTTPS_ADDRSTRLEN];
	int kind = tb[KHTTPS_A_KIND] ? nla_get_u8(tb[KHTTPS_A_KIND]) : KHTTPS_BIND_ADDR;
	const char *store = tb[KHTTPS_A_STORE] ? nla_get_string(tb[KHTTPS_A_STORE]) : NULL;
	const char *cert = tb[KHTTPS_A_CERT] ? nla_get_string(tb[KHTTPS_A_CERT]) : "";
	const char *key = tb[KHTTPS_A_KEY] ? nla_get_string(tb[KHTTPS_A_KEY]) : "";
	const char *queue = tb[KHTTPS_A_QUEUE] ? nla_get_string(tb[KHTTPS_A_QUEUE]) : NULL;
	uint64_t stats[__KHTTPS_STAT_MAX] = { 0 };
	char words[PATH_MAX + 300];
	struct policy pol;

	khttps_nl_get_addr(tb[KHTTPS_A_BACKEND], &backend);
	ctl_read_stats(tb[KHTTPS_A_STATS], stats);
	policy_read(tb[KHTTPS_A_POLICY], &pol);
	policy_format(&pol, words, sizeof(words));
	format_spec(tb, b1, sizeof(b1));
	khttps_addr_format(&backend, b2, sizeof(b2));
	if (kind < 0 || kind >= KHTTPS_BIND_CCS + 1)
		kind = KHTTPS_BIND_ADDR;
	if (st->o->json) {
		printf("%s{\"bind\":", st->n ? "," : "");
		khttps_json_string(stdout, b1);
		printf(",\"kind\":\"%s\"", kinds[kind]);
		printf(",\"mode\":\"%s\",\"%s\":", queue ? "queue" : "forward",
		       queue ? "queue" : "backend");
		khttps_json_string(stdout, queue ? queue : b2);
		if (tb[KHTTPS_A_QUEUE_UID])
			printf(",\"user\":%u", nla_get_u32(tb[KHTTPS_A_QUEUE_UID]));
		if (tb[KHTTPS_A_QUEUE_GID])
			printf(",\"group\":%u", nla_get_u32(tb[KHTTPS_A_QUEUE_GID]));
		if (store) {
			printf(",\"store\":");
			khttps_json_string(stdout, store);
		} else {
			printf(",\"cert\":");
			khttps_json_string(stdout, cert);
			printf(",\"key\":");
			khttps_json_string(stdout, key);
		}
		printf(",\"tls\":\"%s\",\"tls13\":%s,\"alpn\":",
		       pol.min == TLS_1_3_VERSION ? "1.3" : "1.2",
		       pol.max == TLS_1_2_VERSION ? "false" : "true");
		khttps_json_string(stdout, pol.alpn[0] ? pol.alpn : "http/1.1");
		if (pol.chain[0]) {
			printf(",\"chain\":");
			khttps_json_string(stdout, pol.chain);
		}
		printf(",\"clientcert\":\"%s\",\"resume\":%s,\"engine\":\"%s\"",
		       clientcert_words[pol.clientcert], pol.no_resume ? "false" : "true",
		       engine_words[pol.engine]);
		if (tb[KHTTPS_A_CLOSE_NOTIFY])
			printf(",\"closenotify\":%s", nla_get_u8(tb[KHTTPS_A_CLOSE_NOTIFY]) ?
			       "true" : "false");
		if (pol.ca[0]) {
			printf(",\"ca\":");
			khttps_json_string(stdout, pol.ca);
		}
		if (pol.crl[0]) {
			printf(",\"crl\":");
			khttps_json_string(stdout, pol.crl);
		}
		if (!queue)
			printf(",\"proxy\":\"%s\"", pol.proxy == KHTTPS_PROXY_V2 ? "v2" : "off");
		printf(",\"stats\":");
		ctl_print_stats_json(stats, -1);
		putchar('}');
	} else {
		if (!st->n)
			printf("%-24s %-8s %-24s %9s %7s %8s  %s\n", "BINDING", "MODE", "TARGET",
			       "ACCEPTED", "ACTIVE", "HS_OK", "CERT or STORE");
		printf("%-24s %-8s %-24s %9llu %7llu %8llu  %s\n", b1, queue ? "queue" : "forward",
		       queue ? queue : b2, (unsigned long long)stats[KHTTPS_STAT_ACCEPTED],
		       (unsigned long long)stats[KHTTPS_STAT_ACTIVE],
		       (unsigned long long)stats[KHTTPS_STAT_HS_OK], store ? store : cert);
		if (words[0])
			printf("%-24s %s\n", "", words);
	}
	st->n++;
	return 0;
}

static int binding_show(int argc, char **argv, const struct ctl_opts *o)
{
	struct show_state st = { .o = o };
	struct khttps_nl nl;
	struct nl_msg *msg;
	int e;

	(void)argv;
	if (argc != 1) {
		fputs("usage: khttpsctl [--json] binding show\n", stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
		return 1;
	}
	msg = khttps_nl_dump_msg(&nl, KHTTPS_CMD_BINDING_GET);
	if (!msg) {
		khttps_nl_close(&nl);
		return 1;
	}
	if (o->json)
		putchar('[');
	e = khttps_nl_request(&nl, msg, show_one, &st);
	if (o->json)
		printf("]\n");
	else if (!e && !st.n)
		printf("no bindings\n");
	if (e)
		fprintf(stderr, "khttpsctl: binding show: %s\n", nl.err);
	khttps_nl_close(&nl);
	return e ? 1 : 0;
}

int ctl_binding(int argc, char **argv, const struct ctl_opts *o)
{
	bool json = o->json;
	struct ctl_opts local = *o;

	/* "--json" may also follow the subcommand: binding show --json */
	if (argc > 0 && !strcmp(argv[argc - 1], "--json")) {
		json = true;
		argc--;
	}
	local.json = json;
	if (argc >= 2 && !strcmp(argv[1], "add"))
		return binding_add(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "del"))
		return binding_del(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "set"))
		return binding_set(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return binding_show(argc - 1, argv + 1, &local);
	fputs("usage: khttpsctl binding {add|set|del|show} ...\n", stderr);
	return 2;
}
