// SPDX-License-Identifier: GPL-2.0
/*
 * A binding's configuration, as binding add/set, apply and save share it:
 * read from words (a command line or a khttps.conf stanza), read from the
 * kernel's dump, put into a netlink request, and written back as words.
 *
 * Errors go through ctl_err(), which names the file and line when the
 * words came from a file (ctl_file set).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/tls.h>

#include "addr.h"
#include "ctl.h"
#include "events.h"
#include "nl.h"

const char *ctl_file;

/**
 * ctl_err() - say what is wrong, and where when it came from a file
 * @line: the file's line, or 0 (or no ctl_file): no place
 * @fmt: the message, without a trailing newline
 */
void ctl_err(int line, const char *fmt, ...)
{
	va_list ap;

	if (ctl_file && line > 0)
		fprintf(stderr, "khttpsctl: %s:%d: ", ctl_file, line);
	else
		fputs("khttpsctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A usage text helps on a command line; in a file the line number does. */
static void hint(const char *usage)
{
	if (!ctl_file && usage)
		fputs(usage, stderr);
}

static const char *const word_names[W__MAX] = {
	[W_CERT] = "cert", [W_KEY] = "key", [W_STORE] = "store", [W_BACKEND] = "backend",
	[W_QUEUE] = "queue", [W_USER] = "user", [W_GROUP] = "group", [W_TLS] = "tls",
	[W_TLS13] = "tls13", [W_ALPN] = "alpn", [W_CHAIN] = "chain",
	[W_CLIENTCERT] = "clientcert", [W_CA] = "ca", [W_CRL] = "crl", [W_PROXY] = "proxy",
	[W_RESUME] = "resume", [W_CLOSENOTIFY] = "closenotify", [W_ENGINE] = "engine",
	[W_MAXCONNS] = "maxconns",
};

/* Where word @i was, for its messages: its own line, else the stanza's. */
static int wline(const struct ctl_words *w, int i)
{
	return w->line[i] ? w->line[i] : w->line0;
}

/**
 * ctl_words_parse() - sort WORD VALUE pairs into their slots
 * @argc: number of words
 * @argv: the words
 * @lines: each word's line in a file, or NULL on a command line
 * @w: filled; w->line0 is left as the caller set it
 * @usage: printed after an unknown word on a command line
 *
 * Return: 0, or -1 after a message.
 */
int ctl_words_parse(int argc, char **argv, const int *lines, struct ctl_words *w,
		    const char *usage)
{
	int i, t, line;

	memset(w->v, 0, sizeof(w->v));
	memset(w->line, 0, sizeof(w->line));
	for (i = 0; i < argc; i += 2) {
		line = lines ? lines[i] : 0;
		for (t = 0; t < W__MAX; t++)
			if (!strcmp(argv[i], word_names[t]))
				break;
		if (t == W__MAX) {
			ctl_err(line, "unknown word '%s'", argv[i]);
			hint(usage);
			return -1;
		}
		if (i + 1 >= argc || (lines && lines[i + 1] != line)) {
			ctl_err(line, "'%s' needs a value%s", argv[i], lines ? " on the same line" : "");
			return -1;
		}
		if (w->v[t]) {
			ctl_err(line, "'%s' given twice", argv[i]);
			return -1;
		}
		w->v[t] = argv[i + 1];
		w->line[t] = line;
	}
	return 0;
}

/**
 * ctl_spec_parse() - read BINDING: 192.0.2.1:443, [::]:443, www.example.test:443,
 *	*.example.test:443 or ccs:443
 * @s: the text
 * @b: its kind, address or host and port, and name (the kernel's spelling)
 * @line: for messages
 *
 * Return: 0, or -1 after a message.
 */
int ctl_spec_parse(const char *s, struct ctl_bind *b, int line)
{
	const char *colon = strrchr(s, ':');
	char err[256], *end;
	bool numeric;
	size_t hlen;
	unsigned long port;

	memset(b, 0, sizeof(*b));
	b->line = line;
	if (!khttps_addr_parse(s, &b->addr, err, sizeof(err))) {
		b->kind = KHTTPS_BIND_ADDR;
		khttps_addr_format(&b->addr, b->name, sizeof(b->name));
		return 0;
	}
	if (*s == '[' || !colon || strchr(s, ':') != colon) {
		ctl_err(line, "%s", err);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	hlen = (size_t)(colon - s);
	/* A trailing dot names the same host. */
	if (hlen && s[hlen - 1] == '.')
		hlen--;
	if (!colon[1] || *end || errno || port < 1 || port > 65535) {
		ctl_err(line, "'%s': the port must be 1..65535", s);
		return -1;
	}
	b->port = (unsigned int)port;
	if (hlen == 3 && !strncmp(s, "ccs", 3)) {
		b->kind = KHTTPS_BIND_CCS;
		snprintf(b->name, sizeof(b->name), "ccs:%u", b->port);
		return 0;
	}
	if (!hlen || hlen >= sizeof(b->host)) {
		ctl_err(line, "'%s' is not ADDR:PORT, HOSTNAME:PORT or ccs:PORT", s);
		return -1;
	}
	memcpy(b->host, s, hlen);
	b->host[hlen] = '\0';
	if (!khttps_host_ok(b->host, true, &numeric) && numeric) {
		ctl_err(line, "%s", err);
		return -1;
	}
	if (!khttps_host_ok(b->host, true, &numeric) || strchr(b->host + 1, '*')) {
		ctl_err(line, "'%s': a host name is labels of letters, digits, '-' and '_' "
			"joined by dots, maybe after \"*.\"", s);
		return -1;
	}
	for (end = b->host; *end; end++)
		*end = (char)tolower((unsigned char)*end);
	b->kind = KHTTPS_BIND_HOST;
	snprintf(b->name, sizeof(b->name), "%s:%u", b->host, b->port);
	return 0;
}

/**
 * ctl_bind_put_key() - the attributes that name @b in a request
 * @msg: the request
 * @b: the binding
 *
 * Return: 0, or -1 when @msg is full.
 */
int ctl_bind_put_key(struct nl_msg *msg, const struct ctl_bind *b)
{
	if (b->kind == KHTTPS_BIND_ADDR)
		return khttps_nl_put_addr(msg, KHTTPS_A_BIND, &b->addr);
	if (nla_put_u8(msg, KHTTPS_A_KIND, (uint8_t)b->kind) ||
	    nla_put_u16(msg, KHTTPS_A_PORT, (uint16_t)b->port))
		return -1;
	return b->kind == KHTTPS_BIND_HOST ? nla_put_string(msg, KHTTPS_A_HOST, b->host) : 0;
}

/* A user or group name, or a number: 0 and *id set, or -1 with a message. */
static int lookup_id(int w, const char *name, uint32_t *id, int line)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(name, &end, 10);
	if (*name && !*end && !errno && n < UINT32_MAX) {
		*id = (uint32_t)n;
		return 0;
	}
	if (w == W_USER) {
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
	ctl_err(line, "no such %s '%s'", word_names[w], name);
	return -1;
}

/**
 * ctl_abs_path() - the file or directory word @i names, absolute
 * @w: the words
 * @i: which one (cert, key, store, chain, ca, crl)
 * @out: PATH_MAX bytes
 *
 * The daemon reads these as root, maybe from another directory: absolute,
 * and readable now.
 *
 * Return: 0, or -1 after a message.
 */
int ctl_abs_path(const struct ctl_words *w, int i, char *out)
{
	const char *what = i == W_CERT ? "certificate" : word_names[i];

	if (!realpath(w->v[i], out)) {
		ctl_err(wline(w, i), "cannot use %s '%s': %s", what, w->v[i], strerror(errno));
		return -1;
	}
	if (access(out, R_OK)) {
		ctl_err(wline(w, i), "cannot read %s '%s': %s", what, out, strerror(errno));
		return -1;
	}
	return 0;
}

static const char *const clientcert_words[] = { "off", "request", "require" };
static const char *const engine_words[] = { "default", "openssl", "mbedtls" };

/**
 * ctl_policy_read() - a binding's policy from the kernel's %KHTTPS_A_POLICY nest
 * @nest: the nest, or NULL (all defaults)
 * @p: filled
 */
void ctl_policy_read(struct nlattr *nest, struct ctl_policy *p)
{
	struct nlattr *tb[KHTTPS_POLICY_A_MAX + 1] = { 0 };

	memset(p, 0, sizeof(*p));
	if (!nest || nla_parse_nested(tb, KHTTPS_POLICY_A_MAX, nest, NULL))
		return;
	if (tb[KHTTPS_POLICY_A_MIN_VERSION] &&
	    nla_get_u16(tb[KHTTPS_POLICY_A_MIN_VERSION]) != TLS_1_2_VERSION)
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
	if (tb[KHTTPS_POLICY_A_MAX_CONNS])
		p->max_conns = nla_get_u32(tb[KHTTPS_POLICY_A_MAX_CONNS]);
	snprintf(p->max_conns_word, sizeof(p->max_conns_word), "%u", p->max_conns);
}

/* @word's value among @names; -1 when it is none of them. */
static int pick(const char *word, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}

/**
 * ctl_policy_words() - change @p by the policy words in @w
 * @w: the words; those not given leave @p as it is
 * @p: the policy
 *
 * Return: 0, or -1 after a message.
 */
int ctl_policy_words(const struct ctl_words *w, struct ctl_policy *p)
{
	static const char *const onoff[] = { "off", "on" };
	int i;

	if (w->v[W_TLS]) {
		if (strcmp(w->v[W_TLS], "1.2") && strcmp(w->v[W_TLS], "1.3")) {
			ctl_err(wline(w, W_TLS), "tls takes 1.2 or 1.3 (the lowest version offered)");
			return -1;
		}
		/* 1.2 is the default: kept as "none given", so that files compare equal. */
		p->min = !strcmp(w->v[W_TLS], "1.3") ? TLS_1_3_VERSION : 0;
	}
	if (w->v[W_TLS13]) {
		i = pick(w->v[W_TLS13], onoff, 2);
		if (i < 0) {
			ctl_err(wline(w, W_TLS13), "tls13 takes on or off");
			return -1;
		}
		p->max = i ? 0 : TLS_1_2_VERSION;
	}
	if (w->v[W_ALPN]) {
		if (strlen(w->v[W_ALPN]) >= sizeof(p->alpn) || !*w->v[W_ALPN]) {
			ctl_err(wline(w, W_ALPN), "alpn takes a comma-separated list, at most 255 bytes");
			return -1;
		}
		snprintf(p->alpn, sizeof(p->alpn), "%s", w->v[W_ALPN]);
	}
	if (w->v[W_CHAIN] && ctl_abs_path(w, W_CHAIN, p->chain))
		return -1;
	if (w->v[W_CLIENTCERT]) {
		i = pick(w->v[W_CLIENTCERT], clientcert_words, __KHTTPS_CLIENT_CERT_MAX);
		if (i < 0) {
			ctl_err(wline(w, W_CLIENTCERT), "clientcert takes off, request or require");
			return -1;
		}
		p->clientcert = (uint8_t)i;
	}
	if ((w->v[W_CA] && ctl_abs_path(w, W_CA, p->ca)) || (w->v[W_CRL] && ctl_abs_path(w, W_CRL, p->crl)))
		return -1;
	if (w->v[W_PROXY]) {
		if (strcmp(w->v[W_PROXY], "v2") && strcmp(w->v[W_PROXY], "off")) {
			ctl_err(wline(w, W_PROXY),
				"proxy takes v2 (a PROXY protocol v2 header) or off");
			return -1;
		}
		p->proxy = !strcmp(w->v[W_PROXY], "v2") ? KHTTPS_PROXY_V2 : KHTTPS_PROXY_OFF;
	}
	if (w->v[W_RESUME]) {
		i = pick(w->v[W_RESUME], onoff, 2);
		if (i < 0) {
			ctl_err(wline(w, W_RESUME), "resume takes on or off");
			return -1;
		}
		p->no_resume = !i;
	}
	if (w->v[W_CLOSENOTIFY]) {
		static const char *const cn[] = { "default", "on", "off" };

		i = pick(w->v[W_CLOSENOTIFY], cn, 3);
		if (i < 0) {
			ctl_err(wline(w, W_CLOSENOTIFY), "closenotify takes on, off or default "
				"(the module's close_notify parameter)");
			return -1;
		}
		p->closenotify = (uint8_t)i;
	}
	if (w->v[W_ENGINE]) {
		i = pick(w->v[W_ENGINE], engine_words, __KHTTPS_ENGINE_MAX);
		if (i < 0) {
			ctl_err(wline(w, W_ENGINE), "engine takes openssl, mbedtls or default "
				"(khttpsd's --engine)");
			return -1;
		}
		p->engine = (uint8_t)i;
	}
	if (w->v[W_MAXCONNS]) {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(w->v[W_MAXCONNS], &end, 10);
		if (!strcmp(w->v[W_MAXCONNS], "none")) {
			n = 0;
		} else if (errno || *end || !*w->v[W_MAXCONNS] || n < 1 || n > 4194304) {
			ctl_err(wline(w, W_MAXCONNS), "maxconns takes a number from 1 to 4194304, "
				"or none (the namespace's max_connections only)");
			return -1;
		}
		p->max_conns = (uint32_t)n;
		snprintf(p->max_conns_word, sizeof(p->max_conns_word), "%u", p->max_conns);
	}
	return 0;
}

/**
 * ctl_policy_put() - @p as a %KHTTPS_A_POLICY nest
 * @msg: the request
 * @p: the policy
 *
 * Return: 0, or -1 when @msg is full.
 */
int ctl_policy_put(struct nl_msg *msg, const struct ctl_policy *p)
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
	    (p->engine && nla_put_u8(msg, KHTTPS_POLICY_A_ENGINE, p->engine)) ||
	    (p->max_conns && nla_put_u32(msg, KHTTPS_POLICY_A_MAX_CONNS, p->max_conns)))
		return -1;
	nla_nest_end(msg, nest);
	return 0;
}

/* Each policy word that is not the default, as (word, value); returns the count. */
static int policy_pairs(const struct ctl_policy *p, const char *out[][2])
{
	int n = 0;

	if (p->min == TLS_1_3_VERSION)
		out[n][0] = "tls", out[n++][1] = "1.3";
	if (p->max == TLS_1_2_VERSION)
		out[n][0] = "tls13", out[n++][1] = "off";
	if (p->alpn[0])
		out[n][0] = "alpn", out[n++][1] = p->alpn;
	if (p->chain[0])
		out[n][0] = "chain", out[n++][1] = p->chain;
	if (p->clientcert)
		out[n][0] = "clientcert", out[n++][1] = clientcert_words[p->clientcert];
	if (p->ca[0])
		out[n][0] = "ca", out[n++][1] = p->ca;
	if (p->crl[0])
		out[n][0] = "crl", out[n++][1] = p->crl;
	if (p->no_resume)
		out[n][0] = "resume", out[n++][1] = "off";
	if (p->closenotify)
		out[n][0] = "closenotify", out[n++][1] = p->closenotify == 1 ? "on" : "off";
	if (p->engine)
		out[n][0] = "engine", out[n++][1] = engine_words[p->engine];
	if (p->max_conns)
		out[n][0] = "maxconns", out[n++][1] = p->max_conns_word;
	if (p->proxy == KHTTPS_PROXY_V2)
		out[n][0] = "proxy", out[n++][1] = "v2";
	return n;
}

/**
 * ctl_policy_format() - the policy in the words binding add takes
 * @p: the policy
 * @out: "" when all is default
 * @len: size of @out
 */
void ctl_policy_format(const struct ctl_policy *p, char *out, size_t len)
{
	const char *pairs[16][2];
	size_t n = 0;
	int i, np = policy_pairs(p, pairs);

	out[0] = '\0';
	for (i = 0; i < np && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s %s", i ? " " : "", pairs[i][0],
				      pairs[i][1]);
}

/**
 * ctl_policy_client_cert_word() - the word for a clientcert value
 * @v: enum khttps_client_cert
 *
 * Return: "off", "request" or "require".
 */
const char *ctl_policy_client_cert_word(uint8_t v)
{
	return clientcert_words[v < __KHTTPS_CLIENT_CERT_MAX ? v : 0];
}

/**
 * ctl_policy_engine_word() - the word for an engine value
 * @v: enum khttps_engine
 *
 * Return: "default", "openssl" or "mbedtls".
 */
const char *ctl_policy_engine_word(uint8_t v)
{
	return engine_words[v < __KHTTPS_ENGINE_MAX ? v : 0];
}

/**
 * ctl_bind_from_words() - a whole binding from the words binding add takes
 * @b: its spec already read by ctl_spec_parse(); the rest is filled
 * @w: the words
 * @usage: printed after a missing word on a command line (or NULL)
 *
 * Paths become absolute, users and groups numbers, the backend an address.
 *
 * Return: 0; 2 for words that do not make a binding; 1 for a file that
 * cannot be read.  A message has been printed.
 */
int ctl_bind_from_words(struct ctl_bind *b, const struct ctl_words *w, const char *usage)
{
	const char *const *v = w->v;
	char err[256];

	if (b->kind == KHTTPS_BIND_CCS && (v[W_CERT] || v[W_KEY] || !v[W_STORE])) {
		ctl_err(w->line0, "%s: a ccs binding takes store DIR, not cert and key", b->name);
		hint(usage);
		return 2;
	}
	if (b->kind != KHTTPS_BIND_CCS && v[W_STORE]) {
		ctl_err(wline(w, W_STORE), "%s: only a ccs:PORT binding has a store", b->name);
		hint(usage);
		return 2;
	}
	if ((b->kind != KHTTPS_BIND_CCS && (!v[W_CERT] || !v[W_KEY])) ||
	    !!v[W_BACKEND] == !!v[W_QUEUE]) {
		ctl_err(w->line0, "%s: a binding needs cert, key, and either backend or queue",
			b->name);
		hint(usage);
		return 2;
	}
	if ((v[W_USER] || v[W_GROUP]) && !v[W_QUEUE]) {
		ctl_err(wline(w, v[W_USER] ? W_USER : W_GROUP),
			"%s: user and group are for queue bindings", b->name);
		hint(usage);
		return 2;
	}
	if (v[W_PROXY] && v[W_QUEUE]) {
		ctl_err(wline(w, W_PROXY), "%s: proxy is for forward mode (backend), not queue",
			b->name);
		hint(usage);
		return 2;
	}
	if (v[W_QUEUE]) {
		if (strlen(v[W_QUEUE]) >= sizeof(b->queue)) {
			ctl_err(wline(w, W_QUEUE), "a queue name is 1..%d bytes",
				KHTTPS_QUEUE_NAME_MAX - 1);
			return 2;
		}
		snprintf(b->queue, sizeof(b->queue), "%s", v[W_QUEUE]);
	}
	b->has_uid = !!v[W_USER];
	b->has_gid = !!v[W_GROUP];
	if ((v[W_USER] && lookup_id(W_USER, v[W_USER], &b->uid, wline(w, W_USER))) ||
	    (v[W_GROUP] && lookup_id(W_GROUP, v[W_GROUP], &b->gid, wline(w, W_GROUP))))
		return 2;
	if (v[W_STORE] ? ctl_abs_path(w, W_STORE, b->store) :
	    ctl_abs_path(w, W_CERT, b->cert) || ctl_abs_path(w, W_KEY, b->key))
		return 1;
	memset(&b->pol, 0, sizeof(b->pol));
	if (ctl_policy_words(w, &b->pol))
		return 2;
	if (v[W_BACKEND] && khttps_addr_resolve(v[W_BACKEND], &b->backend, err, sizeof(err))) {
		ctl_err(wline(w, W_BACKEND), "backend %s", err);
		return 2;
	}
	return 0;
}

/**
 * ctl_bind_from_nl() - a binding as the kernel's dump describes it
 * @tb: the dump entry's attributes
 * @b: filled (line 0)
 */
void ctl_bind_from_nl(struct nlattr **tb, struct ctl_bind *b)
{
	memset(b, 0, sizeof(*b));
	b->kind = tb[KHTTPS_A_KIND] ? nla_get_u8(tb[KHTTPS_A_KIND]) : KHTTPS_BIND_ADDR;
	b->port = tb[KHTTPS_A_PORT] ? nla_get_u16(tb[KHTTPS_A_PORT]) : 0;
	if (b->kind == KHTTPS_BIND_HOST && tb[KHTTPS_A_HOST]) {
		nla_strlcpy(b->host, tb[KHTTPS_A_HOST], sizeof(b->host));
	} else if (b->kind != KHTTPS_BIND_CCS) {
		b->kind = KHTTPS_BIND_ADDR;
		khttps_nl_get_addr(tb[KHTTPS_A_BIND], &b->addr);
	}
	khttps_binding_name(tb, b->name, sizeof(b->name));
	if (tb[KHTTPS_A_CERT])
		nla_strlcpy(b->cert, tb[KHTTPS_A_CERT], sizeof(b->cert));
	if (tb[KHTTPS_A_KEY])
		nla_strlcpy(b->key, tb[KHTTPS_A_KEY], sizeof(b->key));
	if (tb[KHTTPS_A_STORE])
		nla_strlcpy(b->store, tb[KHTTPS_A_STORE], sizeof(b->store));
	khttps_nl_get_addr(tb[KHTTPS_A_BACKEND], &b->backend);
	if (tb[KHTTPS_A_QUEUE])
		nla_strlcpy(b->queue, tb[KHTTPS_A_QUEUE], sizeof(b->queue));
	b->has_uid = !!tb[KHTTPS_A_QUEUE_UID];
	b->has_gid = !!tb[KHTTPS_A_QUEUE_GID];
	if (b->has_uid)
		b->uid = nla_get_u32(tb[KHTTPS_A_QUEUE_UID]);
	if (b->has_gid)
		b->gid = nla_get_u32(tb[KHTTPS_A_QUEUE_GID]);
	ctl_policy_read(tb[KHTTPS_A_POLICY], &b->pol);
}

/**
 * ctl_bind_put_add() - everything binding add sends for @b
 * @msg: the request (%KHTTPS_CMD_BINDING_ADD)
 * @b: the binding
 *
 * Return: 0, or -1 when @msg is full.
 */
int ctl_bind_put_add(struct nl_msg *msg, const struct ctl_bind *b)
{
	if (ctl_bind_put_key(msg, b) || ctl_policy_put(msg, &b->pol) ||
	    (b->store[0] ? nla_put_string(msg, KHTTPS_A_STORE, b->store) :
	     nla_put_string(msg, KHTTPS_A_CERT, b->cert) ||
	     nla_put_string(msg, KHTTPS_A_KEY, b->key)) ||
	    (b->queue[0] ? nla_put_string(msg, KHTTPS_A_QUEUE, b->queue) :
	     khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &b->backend)) ||
	    (b->has_uid && nla_put_u32(msg, KHTTPS_A_QUEUE_UID, b->uid)) ||
	    (b->has_gid && nla_put_u32(msg, KHTTPS_A_QUEUE_GID, b->gid)))
		return -1;
	return 0;
}

/**
 * ctl_bind_put_set() - a binding set request that makes a binding @b
 * @msg: the request (%KHTTPS_CMD_BINDING_SET)
 * @b: the binding; its mode and queue must be the current binding's
 *
 * Return: 0, or -1 when @msg is full.
 */
int ctl_bind_put_set(struct nl_msg *msg, const struct ctl_bind *b)
{
	if (ctl_bind_put_key(msg, b) || ctl_policy_put(msg, &b->pol) ||
	    (b->store[0] ? nla_put_string(msg, KHTTPS_A_STORE, b->store) :
	     nla_put_string(msg, KHTTPS_A_CERT, b->cert) ||
	     nla_put_string(msg, KHTTPS_A_KEY, b->key)) ||
	    (!b->queue[0] && khttps_nl_put_addr(msg, KHTTPS_A_BACKEND, &b->backend)))
		return -1;
	return 0;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[KHTTPS_ADDRSTRLEN], y[KHTTPS_ADDRSTRLEN];

	if (a->ss_family != b->ss_family)
		return false;
	if (!a->ss_family)
		return true;
	return !strcmp(khttps_addr_format(a, x, sizeof(x)), khttps_addr_format(b, y, sizeof(y)));
}

/**
 * ctl_bind_same_queue() - whether binding set can turn @a into @b
 * @a: one binding
 * @b: another with the same name
 *
 * Return: true when mode, queue name, user and group agree.
 */
bool ctl_bind_same_queue(const struct ctl_bind *a, const struct ctl_bind *b)
{
	return !strcmp(a->queue, b->queue) && a->has_uid == b->has_uid &&
	       a->has_gid == b->has_gid && (!a->has_uid || a->uid == b->uid) &&
	       (!a->has_gid || a->gid == b->gid);
}

/**
 * ctl_bind_same() - whether @a and @b configure the same thing
 * @a: one binding
 * @b: another
 *
 * Return: true when nothing would change.
 */
bool ctl_bind_same(const struct ctl_bind *a, const struct ctl_bind *b)
{
	const struct ctl_policy *p = &a->pol, *q = &b->pol;

	return !strcmp(a->name, b->name) && ctl_bind_same_queue(a, b) &&
	       !strcmp(a->cert, b->cert) && !strcmp(a->key, b->key) &&
	       !strcmp(a->store, b->store) && same_addr(&a->backend, &b->backend) &&
	       p->min == q->min && p->max == q->max && !strcmp(p->alpn, q->alpn) &&
	       !strcmp(p->chain, q->chain) && p->clientcert == q->clientcert &&
	       !strcmp(p->ca, q->ca) && !strcmp(p->crl, q->crl) &&
	       (p->proxy == KHTTPS_PROXY_V2) == (q->proxy == KHTTPS_PROXY_V2) &&
	       p->no_resume == q->no_resume && p->closenotify == q->closenotify &&
	       p->engine == q->engine && p->max_conns == q->max_conns;
}

/* A value as the config file reads it back: quoted when it must be. */
static void put_value(FILE *f, const char *s)
{
	const char *c;

	if (*s && !strpbrk(s, " \t\r\n\"#\\'")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (c = s; *c; c++) {
		if (*c == '\n' || *c == '\r') {
			fputs(*c == '\n' ? "\\n" : "\\r", f);
			continue;
		}
		if (*c == '"' || *c == '\\')
			fputc('\\', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

static void put_pair(FILE *f, const char *word, const char *value)
{
	fprintf(f, "\t%s ", word);
	put_value(f, value);
	fputc('\n', f);
}

/**
 * ctl_bind_write_conf() - @b as a khttps.conf stanza
 * @f: where
 * @b: the binding
 *
 * One word per line, in a fixed order; users and groups by name when they
 * have one.  ctl_conf_read() reads it back to the same binding.
 */
void ctl_bind_write_conf(FILE *f, const struct ctl_bind *b)
{
	char addr[KHTTPS_ADDRSTRLEN], num[16];
	const char *pairs[16][2];
	int i, n;

	fprintf(f, "binding %s\n", b->name);
	if (b->store[0]) {
		put_pair(f, "store", b->store);
	} else {
		put_pair(f, "cert", b->cert);
		put_pair(f, "key", b->key);
	}
	if (b->queue[0]) {
		put_pair(f, "queue", b->queue);
		if (b->has_uid) {
			struct passwd *pw = getpwuid(b->uid);

			snprintf(num, sizeof(num), "%u", b->uid);
			put_pair(f, "user", pw ? pw->pw_name : num);
		}
		if (b->has_gid) {
			struct group *gr = getgrgid(b->gid);

			snprintf(num, sizeof(num), "%u", b->gid);
			put_pair(f, "group", gr ? gr->gr_name : num);
		}
	} else {
		put_pair(f, "backend", khttps_addr_format(&b->backend, addr, sizeof(addr)));
	}
	n = policy_pairs(&b->pol, pairs);
	for (i = 0; i < n; i++)
		put_pair(f, pairs[i][0], pairs[i][1]);
}
