// SPDX-License-Identifier: GPL-2.0
/*
 * khttps-serve: a small static-file HTTP/1.1 server on a khttps accept
 * queue, to show how an application uses libkhttps.  It never sees TLS: the
 * kernel hands it plaintext sockets, and files go out with sendfile(), which
 * kTLS encrypts on the way.
 *
 *   khttps-serve [-q QUEUE] [-r DOCROOT] [-v]
 *
 *   GET/HEAD /PATH          the file DOCROOT/PATH ("/" is index.html)
 *   GET /_khttps/info       what libkhttps says about the connection
 *   POST /_khttps/sha256    the SHA-256 (hex) of the request body
 *
 * Keep-alive and pipelining; one thread per connection, leader/follower
 * style: idle threads block in khttps_accept() on the blocking queue, where
 * the kernel wakes exactly one of them per connection, and the thread that
 * takes a connection serves it itself.  Before it does, it starts another
 * thread if nobody else is left waiting.  A thread whose connection ended
 * goes back to khttps_accept() unless SPARE_MAX already wait there, so a
 * burst of short connections neither starts a thread each nor passes each
 * connection from one thread to another.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "libkhttps.h"

#define HEAD_MAX	16384

static const char *docroot = ".";
static bool verbose;

struct conn {
	int fd;
	struct khttps_conn_info info;
	char buf[HEAD_MAX];
	size_t len;		/* bytes in buf */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("khttps-serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int write_all(int fd, const void *p, size_t n, int flags)
{
	const char *c = p;
	ssize_t w;

	while (n) {
		w = send(fd, c, n, flags | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= w;
	}
	return 0;
}

/* Status line and headers; MSG_MORE lets kTLS put them in one record with the body. */
static int send_head(struct conn *c, int status, const char *reason, const char *ctype,
		     unsigned long long length, bool keep, bool more)
{
	char h[512];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.1 %d %s\r\nServer: khttps-serve\r\nContent-Type: %s\r\n"
			 "Content-Length: %llu\r\n%s\r\n",
			 status, reason, ctype, length, keep ? "" : "Connection: close\r\n");

	return write_all(c->fd, h, n, more ? MSG_MORE : 0);
}

static int send_text(struct conn *c, int status, const char *reason, const char *body, bool keep,
		     bool head_only)
{
	size_t n = strlen(body);

	if (send_head(c, status, reason, "text/plain", n, keep, n && !head_only))
		return -1;
	return head_only ? 0 : write_all(c->fd, body, n, 0);
}

/* Read more into the buffer: 0, or -1 at EOF, on an error or when it is full. */
static int fill(struct conn *c)
{
	ssize_t r;

	if (c->len == sizeof(c->buf))
		return -1;
	do
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	c->len += r;
	return 0;
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

static int serve_file(struct conn *c, const char *path, bool keep, bool head_only)
{
	char full[PATH_MAX];
	struct stat st;
	off_t off = 0;
	int f, err = 0;

	if (strstr(path, "/..") || snprintf(full, sizeof(full), "%s%s%s", docroot, path,
					     path[strlen(path) - 1] == '/' ? "index.html" : "") >=
					    (int)sizeof(full))
		return send_text(c, 404, "Not Found", "not found\n", keep, head_only);
	f = open(full, O_RDONLY | O_CLOEXEC);
	if (f < 0 || fstat(f, &st) || !S_ISREG(st.st_mode)) {
		if (f >= 0)
			close(f);
		return send_text(c, 404, "Not Found", "not found\n", keep, head_only);
	}
	if (send_head(c, 200, "OK", "application/octet-stream", st.st_size, keep,
		      st.st_size && !head_only)) {
		close(f);
		return -1;
	}
	while (!head_only && off < st.st_size) {
		ssize_t n = sendfile(c->fd, f, &off, st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = -1;
			break;
		}
	}
	close(f);
	return err;
}

static int serve_info(struct conn *c, bool keep, bool head_only)
{
	char peer[64], local[64], body[2048], fp[65];
	int n, i;

	khttps_addr_string(&c->info.peer, peer, sizeof(peer));
	khttps_addr_string(&c->info.local, local, sizeof(local));
	n = snprintf(body, sizeof(body),
		     "conn %llu\npeer %s\nlocal %s\nversion %s\ncipher %s\nsni %s\nalpn %s\n",
		     (unsigned long long)c->info.conn_id, peer, local,
		     khttps_tls_version_name(c->info.tls_version),
		     khttps_cipher_name(c->info.tls_version, c->info.cipher),
		     c->info.sni[0] ? c->info.sni : "-", c->info.alpn[0] ? c->info.alpn : "-");
	if (c->info.flags & KHTTPS_CONN_CLIENT_CERT) {
		for (i = 0; i < 32; i++)
			snprintf(fp + 2 * i, 3, "%02x", c->info.client_sha256[i]);
		snprintf(body + n, sizeof(body) - (size_t)n,
			 "client_subject %s\nclient_issuer %s\nclient_serial %s\nclient_sha256 %s\n",
			 c->info.client_subject, c->info.client_issuer, c->info.client_serial, fp);
	} else {
		snprintf(body + n, sizeof(body) - (size_t)n, "client_subject -\n");
	}
	return send_text(c, 200, "OK", body, keep, head_only);
}

/* Read a body of @length bytes (part may be buffered) into a SHA-256. */
static int serve_sha256(struct conn *c, unsigned long long length, bool keep)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 2];
	unsigned int dl, i;
	int err = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	while (length) {
		size_t n;

		if (!c->len && fill(c)) {
			err = -1;
			break;
		}
		n = c->len < length ? c->len : length;
		EVP_DigestUpdate(md, c->buf, n);
		consume(c, n);
		length -= n;
	}
	EVP_DigestFinal_ex(md, d, &dl);
	EVP_MD_CTX_free(md);
	if (err)
		return err;
	for (i = 0; i < dl; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
	strcpy(hex + 2 * dl, "\n");
	return send_text(c, 200, "OK", hex, keep, false);
}

/* The value of header @name in the head [p, end), or NULL. */
static const char *header(const char *p, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\n', end - p);

		if (!eol)
			break;
		if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = eol - v - (eol > v && eol[-1] == '\r');
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

/* One request from the buffer.  Return: 1 keep going, 0 close. */
static int one_request(struct conn *c)
{
	char method[16], path[2048], version[16];
	unsigned long long length = 0;
	const char *end, *v;
	size_t headlen, vlen;
	bool keep, head_only;
	int err;

	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
		if (fill(c))
			return 0;
	headlen = end + 4 - c->buf;
	c->buf[headlen - 1] = '\0';	/* the last '\n' */
	if (sscanf(c->buf, "%15s %2047s %15s", method, path, version) != 3 || path[0] != '/') {
		send_text(c, 400, "Bad Request", "bad request\n", false, false);
		return 0;
	}
	keep = strcmp(version, "HTTP/1.0") != 0;
	v = header(c->buf, c->buf + headlen, "Connection", &vlen);
	if (v && vlen == 5 && !strncasecmp(v, "close", 5))
		keep = false;
	if (v && vlen == 10 && !strncasecmp(v, "keep-alive", 10))
		keep = true;
	v = header(c->buf, c->buf + headlen, "Content-Length", &vlen);
	if (v)
		length = strtoull(v, NULL, 10);
	consume(c, headlen);
	head_only = !strcmp(method, "HEAD");

	if (!strcmp(method, "POST") && !strcmp(path, "/_khttps/sha256"))
		err = serve_sha256(c, length, keep);
	else if (length)
		err = send_text(c, 405, "Method Not Allowed", "no body expected here\n", false,
				false) ?: -1;
	else if (strcmp(method, "GET") && !head_only)
		err = send_text(c, 405, "Method Not Allowed", "GET, HEAD\n", keep, false);
	else if (!strcmp(path, "/_khttps/info"))
		err = serve_info(c, keep, head_only);
	else
		err = serve_file(c, path, keep, head_only);
	return !err && keep;
}

static void serve_conn(struct conn *c)
{
	char peer[64];

	if (verbose) {
		khttps_addr_string(&c->info.peer, peer, sizeof(peer));
		say("conn %llu from %s: %s %s, SNI %s", (unsigned long long)c->info.conn_id, peer,
		     khttps_tls_version_name(c->info.tls_version),
		     khttps_cipher_name(c->info.tls_version, c->info.cipher),
		     c->info.sni[0] ? c->info.sni : "-");
	}
	while (one_request(c))
		;
	close(c->fd);	/* the kernel sends close_notify */
	free(c);
}

#define SPARE_MAX	16
static struct khttps_queue *queue_q;
static pthread_attr_t thread_attr;
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int waiting;	/* threads in, or on their way to, khttps_accept() */

static void *acceptor_main(void *arg);

/* Count the caller as waiting if fewer than SPARE_MAX do.  Return: counted. */
static bool join_waiting(bool always)
{
	bool ok;

	pthread_mutex_lock(&spare_lock);
	ok = always || waiting < SPARE_MAX;
	if (ok)
		waiting++;
	pthread_mutex_unlock(&spare_lock);
	return ok;
}

/* The caller took a connection: if it was the last one waiting, start another. */
static void leave_waiting(void)
{
	pthread_t t;
	bool last;

	pthread_mutex_lock(&spare_lock);
	last = !--waiting;
	if (last)
		waiting++;	/* for the thread about to start */
	pthread_mutex_unlock(&spare_lock);
	if (last && pthread_create(&t, &thread_attr, acceptor_main, NULL)) {
		/* The queue waits until this connection ends; nothing is lost. */
		say("cannot start a thread: accepting again after this connection");
		pthread_mutex_lock(&spare_lock);
		waiting--;
		pthread_mutex_unlock(&spare_lock);
	}
}

/*
 * Accept and serve connections.  The caller is already counted in @waiting.
 * Return only when @forever is false and enough other threads wait.
 */
static void accept_loop(bool forever)
{
	struct conn *c;

	for (;;) {
		c = malloc(sizeof(*c));
		if (!c) {
			say("out of memory");
			sleep(1);
			continue;
		}
		c->len = 0;
		c->fd = khttps_accept(queue_q, &c->info, SOCK_CLOEXEC);
		if (c->fd < 0) {
			if (c->fd == -EBADFD || c->fd == -EINVAL || c->fd == -EFAULT) {
				say("accept: %s", strerror(-c->fd));
				exit(1);	/* will not get better */
			}
			if (c->fd != -EINTR) {	/* fd limit, memory: wait, retry */
				say("accept: %s", strerror(-c->fd));
				sleep(1);
			}
			free(c);
			continue;
		}
		leave_waiting();
		serve_conn(c);
		if (!join_waiting(forever))
			return;
	}
}

static void *acceptor_main(void *arg)
{
	(void)arg;
	accept_loop(false);
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: khttps-serve [-q QUEUE] [-r DOCROOT] [-v]\n"
	      "  -q, --queue QUEUE    the khttps accept queue to serve (default: www)\n"
	      "  -r, --root DOCROOT   directory of the files to serve (default: .)\n"
	      "  -v, --verbose        log each connection\n"
	      "  -h, --help           this text\n", f);
}

int main(int argc, char **argv)
{
	const char *queue = "www";
	int opt, err;

	static const struct option longopts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "root", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};

	while ((opt = getopt_long(argc, argv, "q:r:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			queue = optarg;
			break;
		case 'r':
			docroot = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	err = khttps_queue_open(queue, 0, &queue_q);
	if (err) {
		say("cannot open queue %s: %s%s", queue, strerror(-err),
		     err == -ENOENT ? " (is khttps.ko loaded, and does a binding name the queue?)" : "");
		return 1;
	}
	pthread_attr_init(&thread_attr);
	pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&thread_attr, 256 * 1024);
	say("serving %s on queue %s", docroot, queue);
	join_waiting(true);
	accept_loop(true);	/* does not return */
	khttps_queue_close(queue_q);
	return 1;
}
