// SPDX-License-Identifier: GPL-2.0
/*
 * A generic-netlink fuzzer for the khttps family.  Every command, known or
 * not, gets messages built from a random mix of: a valid template for the
 * command, attributes of the right type with odd values, attributes of the
 * wrong type or length, nests of random attributes, and byte-level damage
 * to the message itself.  Handshakes are kept waiting on a binding (a
 * client connects every few messages), so ACCEPT, SELECT, DONE and
 * SESSION reach real connections, with real and stale ids.
 *
 * What must hold: every request is answered; every error carries an extack
 * message (unless the message was damaged below the genl layer, where the
 * netlink core answers); an unprivileged sender gets EPERM for all; the
 * kernel log stays clean (the guest runner checks); after rounds in
 * namespaces that are then deleted, TCP sockets and kmalloc slabs are back
 * where they were (no leak per message or per connection).
 *
 *   KHTTPS_FUZZ_N     messages per round (default 4000; three rounds)
 *   KHTTPS_FUZZ_SEED  seed (default: time); printed so a failure replays
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/khttps.h>
#include <linux/tls.h>

#include "../harness.h"
#include "../nlraw.h"

#define FUZZ_PORT	9443
#define FUZZ_CLIENTS	16

enum shape { SH_NONE, SH_U8, SH_U16, SH_U32, SH_U64, SH_STR, SH_FLAG, SH_BIN,
	     SH_ADDR, SH_CRYPTO, SH_POLICY, SH_CCERT, SH_TOKEN };

static const enum shape top_shape[KHTTPS_A_MAX + 1] = {
	[KHTTPS_A_API_VERSION] = SH_U32, [KHTTPS_A_MODULE_VERSION] = SH_STR,
	[KHTTPS_A_KERNEL_RELEASE] = SH_STR, [KHTTPS_A_CAPS] = SH_U32,
	[KHTTPS_A_BIND] = SH_ADDR, [KHTTPS_A_CERT] = SH_STR, [KHTTPS_A_KEY] = SH_STR,
	[KHTTPS_A_BACKEND] = SH_ADDR, [KHTTPS_A_QUEUE] = SH_STR, [KHTTPS_A_STATS] = SH_BIN,
	[KHTTPS_A_PENDING] = SH_U32, [KHTTPS_A_CONN_ID] = SH_U64, [KHTTPS_A_FD] = SH_U32,
	[KHTTPS_A_PEER] = SH_ADDR, [KHTTPS_A_STATUS] = SH_U32, [KHTTPS_A_TLS_VERSION] = SH_U16,
	[KHTTPS_A_CIPHER] = SH_U16, [KHTTPS_A_TX] = SH_CRYPTO, [KHTTPS_A_RX] = SH_CRYPTO,
	[KHTTPS_A_SNI] = SH_STR, [KHTTPS_A_ALPN] = SH_STR, [KHTTPS_A_PAD] = SH_BIN,
	[KHTTPS_A_QUEUE_UID] = SH_U32, [KHTTPS_A_QUEUE_GID] = SH_U32, [KHTTPS_A_DAEMON] = SH_U8,
	[KHTTPS_A_KIND] = SH_U8, [KHTTPS_A_HOST] = SH_STR, [KHTTPS_A_PORT] = SH_U16,
	[KHTTPS_A_STORE] = SH_STR, [KHTTPS_A_BINDING_ID] = SH_U64, [KHTTPS_A_SELECT] = SH_FLAG,
	[KHTTPS_A_SKIP_CCS] = SH_FLAG, [KHTTPS_A_POLICY] = SH_POLICY,
	[KHTTPS_A_CLIENT_CERT] = SH_CCERT, [KHTTPS_A_SUITE] = SH_U16,
	[KHTTPS_A_RESUMED] = SH_FLAG, [KHTTPS_A_CLOSE_NOTIFY] = SH_U8,
	[KHTTPS_A_SESSION_TOKEN] = SH_TOKEN, [KHTTPS_A_REASON] = SH_U32,
	[KHTTPS_A_TIME] = SH_U64, [KHTTPS_A_LOCAL] = SH_ADDR, [KHTTPS_A_PHASE] = SH_U8,
	[KHTTPS_A_AGE_MS] = SH_U64, [KHTTPS_A_SESSION_LIFE] = SH_U32, [KHTTPS_A_LAST] = SH_FLAG,
};

/* The commands user space may send. */
static const uint8_t ops[] = { KHTTPS_CMD_VERSION_GET, KHTTPS_CMD_BINDING_ADD,
	KHTTPS_CMD_BINDING_DEL, KHTTPS_CMD_BINDING_GET, KHTTPS_CMD_STATS_GET,
	KHTTPS_CMD_HS_ACCEPT, KHTTPS_CMD_HS_DONE, KHTTPS_CMD_BINDING_SET,
	KHTTPS_CMD_HS_SELECT, KHTTPS_CMD_HS_SESSION, KHTTPS_CMD_CONN_GET };

/* A xorshift generator: the same seed gives the same messages. */
static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}
static void rng_seed(uint64_t seed)
{
	rng_state = (seed ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
	if (!rng_state)
		rng_state = 1;
}
static uint32_t below(uint32_t n) { return n ? rnd() % n : 0; }
static int chance(int percent) { return (int)below(100) < percent; }

struct msgbuf {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char buf[8192];
};

struct fuzz {
	int fd;
	uint16_t family;
	uint64_t ids[8];	/* connection ids seen in ACCEPT replies */
	unsigned int nids;
	int clients[FUZZ_CLIENTS];
	unsigned int nclients;
	/* Results */
	unsigned int sent, errors, ok, no_extack, damaged, no_op, fds, replies;
	char first_no_extack[160];
	char extack[160];	/* the last answer's message */
	struct { uint8_t cmd; int err; unsigned int n; } missing[32];	/* no extack */
	unsigned int nmissing;
};

static char *msg_end(struct msgbuf *m) { return (char *)m + NLMSG_ALIGN(m->n.nlmsg_len); }
static size_t msg_room(struct msgbuf *m) { return sizeof(*m) - NLMSG_ALIGN(m->n.nlmsg_len); }

/* Open a well-formed nest at the end; close it with attr_end(). */
static struct nlattr *nest_start(struct msgbuf *m, uint16_t type)
{
	struct nlattr *a = (struct nlattr *)msg_end(m);

	if (msg_room(m) < NLA_HDRLEN + 64)
		return NULL;
	a->nla_type = type | NLA_F_NESTED;
	a->nla_len = NLA_HDRLEN;
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_HDRLEN;
	return a;
}

/* A fuzzed nest: it must say so (strict validation); now and then one does not. */
static struct nlattr *attr_start(struct msgbuf *m, uint16_t type)
{
	struct nlattr *a = nest_start(m, type);

	if (a && chance(3))
		a->nla_type &= ~NLA_F_NESTED;
	return a;
}
static void attr_end(struct msgbuf *m, struct nlattr *a)
{
	a->nla_len = (uint16_t)(msg_end(m) - (char *)a);
	if ((char *)a + a->nla_len > (char *)m + m->n.nlmsg_len)
		a->nla_len = (uint16_t)((char *)m + m->n.nlmsg_len - (char *)a);
}
static void put(struct msgbuf *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;

	if (msg_room(m) < NLA_ALIGN(NLA_HDRLEN + len) + 16)
		return;
	a = (struct nlattr *)msg_end(m);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->n.nlmsg_len = NLMSG_ALIGN(m->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}
static void put_u8(struct msgbuf *m, uint16_t t, uint8_t v) { put(m, t, &v, 1); }
static void put_u16(struct msgbuf *m, uint16_t t, uint16_t v) { put(m, t, &v, 2); }
static void put_u32(struct msgbuf *m, uint16_t t, uint32_t v) { put(m, t, &v, 4); }
static void put_u64(struct msgbuf *m, uint16_t t, uint64_t v) { put(m, t, &v, 8); }
static void put_str(struct msgbuf *m, uint16_t t, const char *s) { put(m, t, s, strlen(s) + 1); }

static uint64_t odd_int(uint64_t max)
{
	static const uint64_t edges[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff,
					  0x10000, 0x7fffffff, 0xffffffff, ~0ULL };

	if (chance(50))
		return edges[below(sizeof(edges) / sizeof(edges[0]))] & max;
	return (((uint64_t)rnd() << 32) | rnd()) & max;
}

static void put_random_string(struct msgbuf *m, uint16_t t)
{
	static const char *const samples[] = { "", "/", "/etc/ssl/x.pem", "www.example.test",
		"*.example.test", "*", "..", "UPPER.Example.TEST", "a b", "q1", "h2",
		"-bad-", "x.", ".x", "a..b", "*.*.x" };
	char s[4200];
	size_t len, i;

	if (chance(40)) {
		put_str(m, t, samples[below(sizeof(samples) / sizeof(samples[0]))]);
		return;
	}
	len = chance(10) ? 250 + below(10) : chance(5) ? 4090 + below(10) : below(40);
	for (i = 0; i < len; i++)
		s[i] = (char)(chance(90) ? 'a' + below(26) : below(256));
	/* Usually terminated; sometimes not (NLA_NUL_STRING must refuse it). */
	put(m, t, s, len + (chance(85) ? (s[len] = 0, 1) : 0));
}

static void put_random_blob(struct msgbuf *m, uint16_t t)
{
	char b[600];
	size_t len = chance(10) ? below(sizeof(b)) : below(40), i;

	for (i = 0; i < len; i++)
		b[i] = (char)rnd();
	put(m, t, b, len);
}

static void put_shape(struct msgbuf *m, uint16_t type, enum shape sh, int depth);

static void put_nest(struct msgbuf *m, uint16_t type, const enum shape *shapes, int max,
		     int depth)
{
	struct nlattr *a = attr_start(m, type);
	int n = (int)below(5), i, t;

	if (!a)
		return;
	for (i = 0; i < n; i++) {
		t = (int)below((uint32_t)max + 3);
		put_shape(m, (uint16_t)t, t <= max && chance(80) ? shapes[t] : (enum shape)below(SH_TOKEN + 1),
			  depth + 1);
	}
	attr_end(m, a);
}

static const enum shape addr_shape[KHTTPS_ADDR_A_MAX + 1] = {
	[KHTTPS_ADDR_A_IP] = SH_BIN, [KHTTPS_ADDR_A_PORT] = SH_U16,
};
static const enum shape crypto_shape[KHTTPS_CRYPTO_A_MAX + 1] = {
	[KHTTPS_CRYPTO_A_KEY] = SH_BIN, [KHTTPS_CRYPTO_A_IV] = SH_BIN,
	[KHTTPS_CRYPTO_A_SALT] = SH_BIN, [KHTTPS_CRYPTO_A_REC_SEQ] = SH_BIN,
};
static const enum shape policy_shape[KHTTPS_POLICY_A_MAX + 1] = {
	[KHTTPS_POLICY_A_MIN_VERSION] = SH_U16, [KHTTPS_POLICY_A_MAX_VERSION] = SH_U16,
	[KHTTPS_POLICY_A_ALPN] = SH_STR, [KHTTPS_POLICY_A_CHAIN] = SH_STR,
	[KHTTPS_POLICY_A_CLIENT_CERT] = SH_U8, [KHTTPS_POLICY_A_CA] = SH_STR,
	[KHTTPS_POLICY_A_CRL] = SH_STR, [KHTTPS_POLICY_A_PROXY] = SH_U8,
	[KHTTPS_POLICY_A_RESUME] = SH_U8, [KHTTPS_POLICY_A_CLOSE_NOTIFY] = SH_U8,
	[KHTTPS_POLICY_A_ENGINE] = SH_U8, [KHTTPS_POLICY_A_MAX_CONNS] = SH_U32,
};
static const enum shape ccert_shape[KHTTPS_CLIENT_CERT_A_MAX + 1] = {
	[KHTTPS_CLIENT_CERT_A_SUBJECT] = SH_STR, [KHTTPS_CLIENT_CERT_A_ISSUER] = SH_STR,
	[KHTTPS_CLIENT_CERT_A_SERIAL] = SH_STR, [KHTTPS_CLIENT_CERT_A_SHA256] = SH_BIN,
	[KHTTPS_CLIENT_CERT_A_CN] = SH_STR,
};

/* An address nest that is usually well formed: IPv4 or IPv6 loopback-ish. */
static void put_addr(struct msgbuf *m, uint16_t type, int depth)
{
	struct in6_addr a6 = IN6ADDR_LOOPBACK_INIT;
	struct nlattr *a;
	uint32_t a4;

	if (chance(20)) {
		put_nest(m, type, addr_shape, KHTTPS_ADDR_A_MAX, depth);
		return;
	}
	a = attr_start(m, type);
	if (!a)
		return;
	if (chance(70)) {
		a4 = htonl(0x7f000000 | (1 + below(4)));
		put(m, KHTTPS_ADDR_A_IP, &a4, chance(90) ? 4 : below(5));
	} else {
		put(m, KHTTPS_ADDR_A_IP, &a6, chance(90) ? 16 : below(17));
	}
	if (chance(90))
		put_u16(m, KHTTPS_ADDR_A_PORT, chance(90) ? (uint16_t)(FUZZ_PORT + below(4)) : (uint16_t)rnd());
	attr_end(m, a);
}

static void put_crypto(struct msgbuf *m, uint16_t type, int depth)
{
	static const size_t key_lens[] = { 16, 32, 0, 1, 31, 33 };
	char b[40];
	struct nlattr *a;
	size_t i;

	if (chance(20)) {
		put_nest(m, type, crypto_shape, KHTTPS_CRYPTO_A_MAX, depth);
		return;
	}
	a = attr_start(m, type);
	if (!a)
		return;
	for (i = 0; i < sizeof(b); i++)
		b[i] = (char)rnd();
	put(m, KHTTPS_CRYPTO_A_KEY, b, key_lens[chance(80) ? below(2) : below(6)]);
	put(m, KHTTPS_CRYPTO_A_IV, b, chance(80) ? (chance(50) ? 8 : 12) : below(14));
	put(m, KHTTPS_CRYPTO_A_SALT, b, chance(85) ? 4 : below(6));
	if (chance(85))
		put(m, KHTTPS_CRYPTO_A_REC_SEQ, b, chance(90) ? 8 : below(10));
	attr_end(m, a);
}

static void put_shape(struct msgbuf *m, uint16_t type, enum shape sh, int depth)
{
	char tok[KHTTPS_SESSION_TOKEN_LEN];
	size_t i;

	if (depth > 3)
		sh = SH_BIN;
	switch (sh) {
	case SH_U8: put_u8(m, type, (uint8_t)odd_int(0xff)); break;
	case SH_U16: put_u16(m, type, (uint16_t)odd_int(0xffff)); break;
	case SH_U32: put_u32(m, type, (uint32_t)odd_int(0xffffffff)); break;
	case SH_U64: put_u64(m, type, odd_int(~0ULL)); break;
	case SH_STR: put_random_string(m, type); break;
	case SH_FLAG: put(m, type, NULL, 0); break;
	case SH_ADDR: put_addr(m, type, depth); break;
	case SH_CRYPTO: put_crypto(m, type, depth); break;
	case SH_POLICY: put_nest(m, type, policy_shape, KHTTPS_POLICY_A_MAX, depth); break;
	case SH_CCERT: put_nest(m, type, ccert_shape, KHTTPS_CLIENT_CERT_A_MAX, depth); break;
	case SH_TOKEN:
		for (i = 0; i < sizeof(tok); i++)
			tok[i] = (char)rnd();
		put(m, type, tok, chance(90) ? sizeof(tok) : below(sizeof(tok) + 2));
		break;
	case SH_NONE:
	case SH_BIN:
	default: put_random_blob(m, type); break;
	}
}

static uint64_t some_conn_id(struct fuzz *f)
{
	if (f->nids && chance(70))
		return f->ids[below(f->nids)];
	return chance(50) ? below(64) : odd_int(~0ULL);
}

/* The attributes a valid request of @cmd has, with a few odd values. */
static void put_template(struct fuzz *f, struct msgbuf *m, uint8_t cmd)
{
	switch (cmd) {
	case KHTTPS_CMD_BINDING_ADD:
	case KHTTPS_CMD_BINDING_SET:
	case KHTTPS_CMD_BINDING_DEL:
		if (chance(25)) {
			put_u8(m, KHTTPS_A_KIND, (uint8_t)below(4));
			put_str(m, KHTTPS_A_HOST, chance(50) ? "www.example.test" : "*.example.test");
			put_u16(m, KHTTPS_A_PORT, (uint16_t)(FUZZ_PORT + 1 + below(3)));
		} else {
			put_addr(m, KHTTPS_A_BIND, 0);
		}
		if (cmd == KHTTPS_CMD_BINDING_DEL)
			break;
		put_str(m, KHTTPS_A_CERT, "/etc/khttps/fuzz.pem");
		put_str(m, KHTTPS_A_KEY, "/etc/khttps/fuzz.key");
		if (chance(50))
			put_addr(m, KHTTPS_A_BACKEND, 0);
		else
			put_str(m, KHTTPS_A_QUEUE, chance(80) ? "fuzzq" : "Bad Name");
		if (chance(40))
			put_shape(m, KHTTPS_A_POLICY, SH_POLICY, 0);
		break;
	case KHTTPS_CMD_HS_DONE:
		put_u64(m, KHTTPS_A_CONN_ID, some_conn_id(f));
		put_u32(m, KHTTPS_A_STATUS, chance(70) ? 0 : (uint32_t)below(12));
		put_u16(m, KHTTPS_A_TLS_VERSION, chance(50) ? TLS_1_3_VERSION :
			chance(80) ? TLS_1_2_VERSION : (uint16_t)rnd());
		put_u16(m, KHTTPS_A_CIPHER, chance(40) ? TLS_CIPHER_AES_GCM_128 :
			chance(50) ? TLS_CIPHER_AES_GCM_256 :
			chance(50) ? TLS_CIPHER_CHACHA20_POLY1305 : (uint16_t)rnd());
		put_crypto(m, KHTTPS_A_TX, 0);
		put_crypto(m, KHTTPS_A_RX, 0);
		if (chance(30))
			put_shape(m, KHTTPS_A_SESSION_TOKEN, SH_TOKEN, 0);
		if (chance(30))
			put_shape(m, KHTTPS_A_CLIENT_CERT, SH_CCERT, 0);
		if (chance(30))
			put_str(m, KHTTPS_A_ALPN, "http/1.1");
		break;
	case KHTTPS_CMD_HS_SELECT:
		put_u64(m, KHTTPS_A_CONN_ID, some_conn_id(f));
		if (chance(80))
			put_str(m, KHTTPS_A_HOST, chance(50) ? "www.example.test" : "Other.Test");
		if (chance(20))
			put(m, KHTTPS_A_SKIP_CCS, NULL, 0);
		break;
	case KHTTPS_CMD_HS_SESSION:
		put_u64(m, KHTTPS_A_CONN_ID, some_conn_id(f));
		put_shape(m, KHTTPS_A_SESSION_TOKEN, SH_TOKEN, 0);
		break;
	default:
		break;
	}
}

/* Damage below the genl layer: the netlink core answers these. */
static int damage(struct msgbuf *m)
{
	unsigned int len = m->n.nlmsg_len, i;

	switch (below(4)) {
	case 0:	/* truncate, maybe into the genl header or an attribute */
		m->n.nlmsg_len = NLMSG_HDRLEN + below(len - NLMSG_HDRLEN + 1);
		break;
	case 1:	/* flip bytes past the genl header */
		for (i = 0; i < 1 + below(4) && len > NLMSG_HDRLEN + GENL_HDRLEN; i++)
			((uint8_t *)m)[NLMSG_HDRLEN + GENL_HDRLEN +
				      below(len - NLMSG_HDRLEN - GENL_HDRLEN)] = (uint8_t)rnd();
		break;
	case 2:	/* an attribute that claims more than is there */
		if (len >= NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN)
			((struct nlattr *)((char *)m + NLMSG_HDRLEN + GENL_HDRLEN))->nla_len =
				(uint16_t)(len + below(64));
		break;
	default: /* odd genl version and reserved bits */
		m->g.version = (uint8_t)rnd();
		m->g.reserved = (uint16_t)rnd();
		return 0;
	}
	return 1;
}

/*
 * A client that sends one whole handshake record (an empty ClientHello):
 * the kernel hands a connection to the workers only once that is in.
 */
static void client_connect(struct fuzz *f)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(FUZZ_PORT),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = s, .events = POLLOUT };

	if (s < 0)
		return;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    (errno == EINPROGRESS && poll(&p, 1, 1000) == 1))
		send(s, hello, sizeof(hello), MSG_NOSIGNAL);
	if (f->nclients == FUZZ_CLIENTS) {
		close(f->clients[0]);
		memmove(f->clients, f->clients + 1, sizeof(int) * (FUZZ_CLIENTS - 1));
		f->nclients--;
	}
	f->clients[f->nclients++] = s;
}

/*
 * Read until the request's ACK, error or dump end.  Return its error (0:
 * success), -ETIMEDOUT when nothing came; *extack says whether an error
 * carried a message.  Connection ids and fds in replies are taken in.
 */
static int answer(struct fuzz *f, int *extack)
{
	static char buf[65536];
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	struct nlmsghdr *h;
	struct nlattr *a;
	ssize_t n;
	int off;

	*extack = 0;
	f->extack[0] = '\0';
	for (;;) {
		if (poll(&p, 1, 10000) != 1)
			return -ETIMEDOUT;
		n = recv(f->fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				int err = h->nlmsg_type == NLMSG_DONE ? *(int *)NLMSG_DATA(h) : e->error;
				size_t o = NLMSG_HDRLEN + (h->nlmsg_type == NLMSG_DONE ? sizeof(int) :
					   sizeof(*e));

				if (h->nlmsg_type == NLMSG_ERROR && !(h->nlmsg_flags & NLM_F_CAPPED))
					o += e->msg.nlmsg_len - NLMSG_HDRLEN;
				while ((h->nlmsg_flags & NLM_F_ACK_TLVS) && o + NLA_HDRLEN <= h->nlmsg_len) {
					a = (struct nlattr *)((char *)h + o);
					if (a->nla_len < NLA_HDRLEN)
						break;
					if (a->nla_type == NLMSGERR_ATTR_MSG && a->nla_len > NLA_HDRLEN + 1) {
						*extack = 1;
						snprintf(f->extack, sizeof(f->extack), "%.*s",
							 (int)(a->nla_len - NLA_HDRLEN),
							 (char *)nlraw_data(a));
					}
					o += NLA_ALIGN(a->nla_len);
				}
				/* A dump ends with DONE alone: no ACK follows it. */
				return err;
			}
			/* A reply: take connection ids and close any fd given to us. */
			f->replies++;
			for (off = NLMSG_HDRLEN + GENL_HDRLEN; off + NLA_HDRLEN <= (int)h->nlmsg_len;
			     off += NLA_ALIGN(a->nla_len)) {
				a = (struct nlattr *)((char *)h + off);
				if (a->nla_len < NLA_HDRLEN)
					break;
				if (a->nla_type == KHTTPS_A_CONN_ID && a->nla_len == NLA_HDRLEN + 8) {
					f->ids[f->nids % 8] = *(uint64_t *)nlraw_data(a);
					if (f->nids < 8)
						f->nids++;
				}
				if (a->nla_type == KHTTPS_A_FD && a->nla_len == NLA_HDRLEN + 4) {
					close(*(int32_t *)nlraw_data(a));
					f->fds++;
				}
			}
		}
	}
}

static void start(struct msgbuf *m, uint16_t family, uint8_t cmd, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->n.nlmsg_type = family;
	m->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	m->g.cmd = cmd;
	m->g.version = 1;
	put_u32(m, KHTTPS_A_API_VERSION, KHTTPS_API_VERSION);
}

static int talk(struct fuzz *f, struct msgbuf *m)
{
	int x;

	if (send(f->fd, m, m->n.nlmsg_len, 0) < 0)
		return -errno;
	return answer(f, &x);
}

/* An address nest: 127.0.0.1:@port. */
static void put_loopback(struct msgbuf *m, uint16_t type, uint16_t port)
{
	uint32_t lo = htonl(INADDR_LOOPBACK);
	struct nlattr *a = nest_start(m, type);

	put(m, KHTTPS_ADDR_A_IP, &lo, 4);
	put_u16(m, KHTTPS_ADDR_A_PORT, port);
	attr_end(m, a);
}

/* The binding clients connect to (forward mode; the backend never answers). */
static int fuzz_add_binding(struct fuzz *f)
{
	struct msgbuf m;

	start(&m, f->family, KHTTPS_CMD_BINDING_ADD, 0);
	put_loopback(&m, KHTTPS_A_BIND, FUZZ_PORT);
	put_str(&m, KHTTPS_A_CERT, "/etc/khttps/fuzz.pem");
	put_str(&m, KHTTPS_A_KEY, "/etc/khttps/fuzz.key");
	put_loopback(&m, KHTTPS_A_BACKEND, FUZZ_PORT - 1);
	return talk(f, &m);
}

/* Send @n fuzzed messages; the tallies are in @f. */
static void fuzz_round(struct fuzz *f, unsigned int n)
{
	struct msgbuf m;
	unsigned int i, k, nattr;
	uint16_t t;
	int err, extack, damaged;

	for (i = 0; i < n; i++) {
		if (i % 100 == 0)
			fuzz_add_binding(f);
		if (i % 8 == 0)
			client_connect(f);
		memset(&m, 0, sizeof(m));
		m.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
		m.n.nlmsg_type = f->family;
		m.n.nlmsg_seq = i + 1;
		/* Mostly commands that exist; a few that do not. */
		m.g.cmd = chance(90) ? ops[below(sizeof(ops))] :
			  (uint8_t)(chance(50) ? below(KHTTPS_CMD_MAX + 2) : rnd());
		m.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
				  ((m.g.cmd == KHTTPS_CMD_BINDING_GET ||
				    m.g.cmd == KHTTPS_CMD_CONN_GET) ^ chance(5) ? NLM_F_DUMP : 0);
		m.g.version = 1;
		if (chance(85))
			put_u32(&m, KHTTPS_A_API_VERSION, chance(95) ? KHTTPS_API_VERSION : rnd());
		if (chance(60))
			put_template(f, &m, m.g.cmd);
		nattr = chance(30) ? below(10) : below(3);
		for (k = 0; k < nattr; k++) {
			t = (uint16_t)below(KHTTPS_A_MAX + 4);
			if (chance(3))
				t |= NLA_F_NESTED;
			put_shape(&m, t, t <= KHTTPS_A_MAX && chance(75) ? top_shape[t] :
				  (enum shape)below(SH_TOKEN + 1), 0);
		}
		damaged = chance(8) ? damage(&m) : 0;
		if (send(f->fd, &m, m.n.nlmsg_len, 0) < 0)
			continue;	/* a length the socket itself refuses */
		f->sent++;
		err = answer(f, &extack);
		if (err == -ETIMEDOUT) {
			f->errors++;
			snprintf(f->first_no_extack, sizeof(f->first_no_extack),
				 "cmd %u: no answer in 10 s", m.g.cmd);
			return;
		}
		if (!err) {
			f->ok++;
			continue;
		}
		f->errors++;
		if (damaged) {
			f->damaged++;
		} else if (err == -EOPNOTSUPP) {
			/* No such command (or no dump of it): genl answers, not khttps. */
			f->no_op++;
		} else if (!extack) {
			for (k = 0; k < f->nmissing; k++)
				if (f->missing[k].cmd == m.g.cmd && f->missing[k].err == err)
					break;
			if (k == f->nmissing && k < 32) {
				f->missing[k].cmd = m.g.cmd;
				f->missing[k].err = err;
				f->nmissing++;
			}
			if (k < 32)
				f->missing[k].n++;
			if (!f->no_extack++)
				snprintf(f->first_no_extack, sizeof(f->first_no_extack),
					 "cmd %u flags %#x error %d (seq %u)", m.g.cmd,
					 m.n.nlmsg_flags, err, m.n.nlmsg_seq);
		}
	}
}

static unsigned int fuzz_count(void)
{
	const char *s = getenv("KHTTPS_FUZZ_N");

	return s && atoi(s) > 0 ? (unsigned int)atoi(s) : 4000;
}

static uint64_t fuzz_seed(void)
{
	const char *s = getenv("KHTTPS_FUZZ_SEED");

	return s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
}

/* One round in a fresh network namespace that goes away with the child. */
static int fuzz_child(uint64_t seed, unsigned int n, int report)
{
	struct fuzz f = { 0 };
	pid_t pid = fork();
	unsigned int i;
	int status;

	if (pid)
		return pid < 0 || waitpid(pid, &status, 0) != pid ? -1 :
		       WIFEXITED(status) ? WEXITSTATUS(status) : 100;
	rng_seed(seed);
	if (unshare(CLONE_NEWNET) || system("ip link set lo up"))
		_exit(101);
	f.fd = nlraw_open();
	f.family = (uint16_t)nlraw_family(f.fd, KHTTPS_GENL_NAME, NULL, 0, NULL);
	if (f.fd < 0 || !f.family)
		_exit(102);
	fuzz_round(&f, n);
	if (report)
		printf("# seed %#llx: %u sent, %u succeeded, %u refused (%u damaged below "
		       "genl, %u no such op), %u fds received, %u refusals without "
		       "extack%s%s\n",
		       (unsigned long long)seed, f.sent, f.ok, f.errors, f.damaged, f.no_op,
		       f.fds, f.no_extack, *f.first_no_extack ? ": first " : "",
		       f.first_no_extack);
	for (i = 0; report && i < f.nmissing; i++)
		printf("#   no extack: cmd %u error %d, %u times\n", f.missing[i].cmd,
		       f.missing[i].err, f.missing[i].n);
	fflush(stdout);
	_exit(*f.first_no_extack ? 1 : 0);
}

/* Whether the kernel has KASAN's quarantine (a symbol of it is there). */
static bool kasan_kernel(void)
{
	FILE *fp = fopen("/proc/kallsyms", "r");
	char line[256];
	bool found = false;

	while (fp && !found && fgets(line, sizeof(line), fp))
		found = strstr(line, " kasan_quarantine_put\n") != NULL;
	if (fp)
		fclose(fp);
	return found;
}

/*
 * On a KASAN kernel, shrink the slab caches whose name starts with @prefix:
 * freed objects wait in a quarantine, counted active, until then.
 */
static void slab_shrink(const char *prefix)
{
	static int kasan = -1;
	struct dirent *e;
	char path[512];
	DIR *d;
	int fd;

	if (kasan < 0)
		kasan = kasan_kernel();
	d = kasan ? opendir("/sys/kernel/slab") : NULL;
	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", e->d_name);
			fd = open(path, O_WRONLY);
			if (fd < 0)
				continue;
			/* A cache that cannot shrink is counted as it is. */
			(void)!write(fd, "1", 1);
			close(fd);
		}
	closedir(d);
}

/* Active objects of the slab caches whose name starts with @prefix. */
static long slab_active(const char *prefix)
{
	FILE *fp;
	char line[512], name[64];
	long total = 0, active;

	slab_shrink(prefix);
	fp = fopen("/proc/slabinfo", "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s %ld", name, &active) == 2 &&
		    !strncmp(name, prefix, strlen(prefix)))
			total += active;
	fclose(fp);
	return total;
}

/*
 * TCP sockets allocated and not yet freed, in all namespaces (the "alloc"
 * of /proc/net/sockstat: exact, where slab counts are per slab).
 */
static long tcp_alloc(void)
{
	FILE *fp = fopen("/proc/net/sockstat", "r");
	char line[256];
	long n = -1;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "TCP:", 4) && strstr(line, " alloc "))
			n = strtol(strstr(line, " alloc ") + 7, NULL, 10);
	fclose(fp);
	return n;
}

/*
 * Wait for dead namespaces' sockets to go, at most 40 s: a handshake that
 * a round's worker left waiting ends at handshake_timeout_ms (10 s).
 * Return the TCP sockets still allocated.
 */
static long settle(long want)
{
	long now = tcp_alloc();
	int i;

	for (i = 0; i < 80 && now > want; i++) {
		usleep(500000);
		now = tcp_alloc();
	}
	return now;
}

TEST_TIMEOUT(fuzz_rounds_answer_everything_and_leak_nothing, 900)
{
	unsigned int n = fuzz_count();
	uint64_t seed = fuzz_seed();
	long tcp0, km0, tcp1, km1;

	if (slab_active("kmalloc") < 0 || tcp_alloc() < 0)
		SKIP(return, "no /proc/slabinfo or /proc/net/sockstat");
	tcp0 = tcp_alloc();
	/* A warm-up round fills per-CPU caches and lazily made objects. */
	ASSERT_EQ(fuzz_child(seed, n, 1), 0);
	settle(tcp0);
	km0 = slab_active("kmalloc");
	ASSERT_EQ(fuzz_child(seed + 1, n, 1), 0);
	ASSERT_EQ(fuzz_child(seed + 2, n, 1), 0);
	tcp1 = settle(tcp0);
	km1 = slab_active("kmalloc");
	TH_LOG("TCP sockets %ld -> %ld, kmalloc objects %ld -> %ld over %u messages",
	       tcp0, tcp1, km0, km1, 2 * n);
	/* A leak per connection would leave n/4 sockets or more, per message 2n objects. */
	EXPECT_LE(tcp1 - tcp0, 8);
	EXPECT_LE(km1 - km0, (long)n / 4);
}

TEST(unprivileged_sender_gets_eperm_for_everything)
{
	struct fuzz f = { 0 };
	struct msgbuf m;
	unsigned int i, k;
	int err, eperm = 0, other = 0;
	uint8_t cmd;

	rng_seed(fuzz_seed());
	ASSERT_EQ(setgid(65534), 0);
	ASSERT_EQ(setuid(65534), 0);
	f.fd = nlraw_open();
	ASSERT_GE(f.fd, 0);
	f.family = (uint16_t)nlraw_family(f.fd, KHTTPS_GENL_NAME, NULL, 0, NULL);
	ASSERT_NE(f.family, 0);
	for (i = 0; i < 500; i++) {
		cmd = ops[below(sizeof(ops))];
		start(&m, f.family, cmd, cmd == KHTTPS_CMD_BINDING_GET ||
					 cmd == KHTTPS_CMD_CONN_GET ? NLM_F_DUMP : 0);
		put_template(&f, &m, cmd);
		for (k = below(3); k; k--)
			put_shape(&m, (uint16_t)below(KHTTPS_A_MAX + 1), SH_BIN, 0);
		err = talk(&f, &m);
		if (err == -EPERM)
			eperm++;
		else
			other++;
	}
	TH_LOG("%d EPERM, %d other answers, %u fds", eperm, other, f.fds);
	EXPECT_EQ(other, 0);
	EXPECT_EQ(f.fds, 0u);
}

/* A well-formed successful DONE for @id (TLS 1.3, AES-GCM-128, zero keys). */
static void put_done(struct msgbuf *m, uint64_t id, uint32_t status)
{
	static const char zero[16];
	struct nlattr *a;
	int i;

	put_u64(m, KHTTPS_A_CONN_ID, id);
	put_u32(m, KHTTPS_A_STATUS, status);
	put_u16(m, KHTTPS_A_TLS_VERSION, TLS_1_3_VERSION);
	put_u16(m, KHTTPS_A_CIPHER, TLS_CIPHER_AES_GCM_128);
	for (i = 0; i < 2; i++) {
		a = nest_start(m, i ? KHTTPS_A_RX : KHTTPS_A_TX);
		put(m, KHTTPS_CRYPTO_A_KEY, zero, 16);
		put(m, KHTTPS_CRYPTO_A_IV, zero, 8);
		put(m, KHTTPS_CRYPTO_A_SALT, zero, 4);
		put(m, KHTTPS_CRYPTO_A_REC_SEQ, zero, 8);
		attr_end(m, a);
	}
}

/* Accept the next waiting handshake on @f; its id, or 0 after 20 s. */
static uint64_t accept_one(struct fuzz *f)
{
	struct msgbuf m;
	int i;

	for (i = 0; i < 200; i++) {
		start(&m, f->family, KHTTPS_CMD_HS_ACCEPT, 0);
		f->nids = 0;
		if (talk(f, &m) == 0 && f->nids)
			return f->ids[0];
		usleep(100000);
	}
	return 0;
}

/*
 * Workers act only on handshakes they accepted, and only in their own
 * namespace: another worker's DONE or SELECT, a DONE for a connection no
 * one accepted, a second DONE, and any request from another namespace are
 * refused, with the reason.
 */
TEST(done_only_from_the_worker_that_accepted)
{
	struct fuzz a = { 0 }, b = { 0 }, other = { 0 };
	int status, err = 0, i;
	uint64_t x, y;
	struct msgbuf m;
	pid_t pid;

	a.fd = nlraw_open();
	b.fd = nlraw_open();
	ASSERT_GE(a.fd, 0);
	ASSERT_GE(b.fd, 0);
	a.family = b.family = (uint16_t)nlraw_family(a.fd, KHTTPS_GENL_NAME, NULL, 0, NULL);
	ASSERT_NE(a.family, 0);
	err = fuzz_add_binding(&a);
	if (err)
		TH_LOG("binding add: %d %s", err, a.extack);
	ASSERT_EQ(err, 0);
	client_connect(&a);
	x = accept_one(&a);
	ASSERT_NE(x, 0u);
	ASSERT_EQ(a.fds, 1u);

	start(&m, b.family, KHTTPS_CMD_HS_DONE, 0);
	put_done(&m, x, 0);
	EXPECT_EQ(talk(&b, &m), -EPERM);
	EXPECT_STREQ(b.extack, "khttps: this connection is not in a handshake of this worker");
	start(&m, b.family, KHTTPS_CMD_HS_SELECT, 0);
	put_u64(&m, KHTTPS_A_CONN_ID, x);
	put_str(&m, KHTTPS_A_HOST, "www.example.test");
	EXPECT_EQ(talk(&b, &m), -EPERM);

	/* A second client waits: no one accepted it, so no one may finish it. */
	client_connect(&a);
	y = x + 1;
	for (i = 0; i < 100; i++) {	/* until the kernel has accepted it */
		start(&m, a.family, KHTTPS_CMD_HS_DONE, 0);
		put_done(&m, y, 0);
		err = talk(&a, &m);
		if (err != -ENOENT)
			break;
		usleep(100000);
	}
	EXPECT_EQ(err, -EPERM);

	/* Another namespace sees neither the binding nor the handshake. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(10);
		other.fd = nlraw_open();
		other.family = (uint16_t)nlraw_family(other.fd, KHTTPS_GENL_NAME, NULL, 0, NULL);
		start(&m, other.family, KHTTPS_CMD_BINDING_GET, NLM_F_DUMP);
		if (talk(&other, &m) || other.replies)
			_exit(11);
		start(&m, other.family, KHTTPS_CMD_HS_ACCEPT, 0);
		if (talk(&other, &m) != -EAGAIN || other.fds)
			_exit(12);
		start(&m, other.family, KHTTPS_CMD_HS_DONE, 0);
		put_done(&m, y, 0);
		_exit(talk(&other, &m) == -ENOENT ? 0 : 13);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);

	/* The worker that accepted it ends it; then it is gone for everyone. */
	start(&m, a.family, KHTTPS_CMD_HS_DONE, 0);
	put_done(&m, x, KHTTPS_HS_TLS_ERROR);
	EXPECT_EQ(talk(&a, &m), 0);
	start(&m, a.family, KHTTPS_CMD_HS_DONE, 0);
	put_done(&m, x, 0);
	EXPECT_EQ(talk(&a, &m), -ENOENT);
	EXPECT_STREQ(a.extack, "khttps: no such connection");
	close(a.fd);
	close(b.fd);
}

TEST_HARNESS_MAIN
