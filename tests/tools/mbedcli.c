// SPDX-License-Identifier: GPL-2.0
/*
 * mbedcli: a TLS 1.2 client on mbedTLS 2.28, in the spirit of
 * `openssl s_client -quiet`, so the guest tests can talk to khttps from a
 * TLS stack other than OpenSSL.
 *
 *   mbedcli [-c CAFILE] [-s CIPHERSUITE] [-n SERVERNAME] HOST PORT
 *
 * stdin goes to the server and the server's application data to stdout,
 * nothing else: the tests hash stdout.  Every diagnostic goes to stderr.
 * Exit status: 0 after a clean close (close_notify) by either side, 1 on
 * any TLS, network or I/O error or a TCP EOF without close_notify, 2 on bad
 * usage.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>

#define EXIT_TLS	1
#define EXIT_USAGE	2

/* The largest TLS plaintext record: a full stdin read fits one record. */
#define IO_BUF_LEN	16384

struct relay {
	mbedtls_ssl_context *rl_ssl;
	int rl_sock;
	/* stdin bytes mbedtls_ssl_write() has not taken yet */
	unsigned char rl_in[IO_BUF_LEN];
	size_t rl_in_len;
	size_t rl_in_off;
	unsigned char rl_out[IO_BUF_LEN];
	bool rl_stdin_eof;
	bool rl_notify_sent;
	/* mbedTLS holds output the socket refused: wait for POLLOUT */
	bool rl_want_write;
};

static void usage(FILE *f)
{
	fputs("usage: mbedcli [-c CAFILE] [-s CIPHERSUITE] [-n SERVERNAME] HOST PORT\n"
	      "\n"
	      "TLS 1.2 client on mbedTLS: stdin is sent to HOST PORT, the server's data\n"
	      "is written to stdout and diagnostics to stderr.  At the end of stdin it\n"
	      "sends close_notify and waits for the server to close.\n"
	      "\n"
	      "  -c CAFILE       verify the server against the CA certificates in CAFILE\n"
	      "                  (default: no verification at all)\n"
	      "  -s CIPHERSUITE  offer only this suite, by its mbedTLS name, e.g.\n"
	      "                  TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256\n"
	      "  -n SERVERNAME   name sent as SNI and, with -c, checked against the\n"
	      "                  certificate (default: HOST unless it is numeric)\n"
	      "  -h              show this help\n", f);
}

static void __attribute__((format(printf, 2, 3)))
tls_error(int ret, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	mbedtls_strerror(ret, msg, sizeof(msg));
	fputs("mbedcli: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s (-0x%04x)\n", msg, (unsigned int)-ret);
}

static bool host_is_numeric(const char *host)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res;

	/* getaddrinfo() also takes scoped IPv6 ("fe80::1%eth0"), inet_pton() not */
	if (getaddrinfo(host, NULL, &hints, &res))
		return false;
	freeaddrinfo(res);
	return true;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Copy everything mbedTLS can give us right now to stdout, record after
 * record, so nothing already decrypted is left behind when we go to poll().
 * Returns 0 when it would block, 1 once the peer has closed, -1 after
 * reporting an error.
 */
static int relay_drain(struct relay *rl)
{
	int ret;

	for (;;) {
		ret = mbedtls_ssl_read(rl->rl_ssl, rl->rl_out, sizeof(rl->rl_out));
		if (ret > 0) {
			if (write_all(STDOUT_FILENO, rl->rl_out, (size_t)ret)) {
				fprintf(stderr, "mbedcli: writing stdout: %s\n", strerror(errno));
				return -1;
			}
			continue;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ)
			return 0;
		/* a read can queue an alert, e.g. refusing a renegotiation */
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			rl->rl_want_write = true;
			return 0;
		}
		/*
		 * 2.28 turns close_notify into an error and a TCP EOF into a
		 * 0-byte read.  A server must end with close_notify: an EOF
		 * without one could be a truncation (RFC 8446 6.1), so it fails.
		 */
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
			return 1;
		if (ret == 0) {
			fprintf(stderr, "mbedcli: the server closed without close_notify\n");
			return -1;
		}
		tls_error(ret, "reading from the server");
		return -1;
	}
}

/*
 * Hand what stdin gave us to mbedTLS; once stdin is done and all of it is
 * sent, send close_notify.  Returns 0, or -1 after reporting an error.
 */
static int relay_push(struct relay *rl)
{
	int ret;

	while (rl->rl_in_off < rl->rl_in_len) {
		/*
		 * After WANT_WRITE mbedTLS must be called again with the same
		 * arguments: rl_in_off only moves once a call succeeded.
		 */
		ret = mbedtls_ssl_write(rl->rl_ssl, rl->rl_in + rl->rl_in_off,
					rl->rl_in_len - rl->rl_in_off);
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			rl->rl_want_write = true;
			return 0;
		}
		if (ret == MBEDTLS_ERR_SSL_WANT_READ)
			return 0;
		if (ret < 0) {
			tls_error(ret, "writing to the server");
			return -1;
		}
		rl->rl_in_off += (size_t)ret;
	}
	rl->rl_in_off = rl->rl_in_len = 0;

	if (rl->rl_stdin_eof && !rl->rl_notify_sent) {
		/* on WANT_WRITE the alert is queued; the next call flushes it */
		ret = mbedtls_ssl_close_notify(rl->rl_ssl);
		if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
			rl->rl_want_write = true;
			return 0;
		}
		if (ret) {
			tls_error(ret, "sending close_notify");
			return -1;
		}
		rl->rl_notify_sent = true;
	}
	return 0;
}

/* Returns the exit status. */
static int relay_run(struct relay *rl)
{
	struct pollfd pfd[2];
	ssize_t n;
	int ret;

	for (;;) {
		rl->rl_want_write = false;

		/*
		 * Read before writing: a server that answered and closed
		 * should end the run cleanly, not in a failed write.
		 */
		ret = relay_drain(rl);
		if (ret < 0)
			return EXIT_TLS;
		if (ret > 0)
			break;
		if (relay_push(rl) < 0)
			return EXIT_TLS;

		/*
		 * poll() only sees the socket: bytes mbedTLS already pulled
		 * in would never wake it.  relay_drain() normally leaves
		 * none, this is the safety net.
		 */
		if (!rl->rl_want_write &&
		    (mbedtls_ssl_get_bytes_avail(rl->rl_ssl) ||
		     mbedtls_ssl_check_pending(rl->rl_ssl)))
			continue;

		/* stdin waits while mbedTLS still owes the server bytes */
		pfd[0].fd = (!rl->rl_stdin_eof && !rl->rl_in_len) ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = rl->rl_sock;
		pfd[1].events = POLLIN | (rl->rl_want_write ? POLLOUT : 0);
		pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mbedcli: poll: %s\n", strerror(errno));
			return EXIT_TLS;
		}

		if (pfd[0].revents) {
			n = read(STDIN_FILENO, rl->rl_in, sizeof(rl->rl_in));
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				fprintf(stderr, "mbedcli: reading stdin: %s\n", strerror(errno));
				return EXIT_TLS;
			}
			if (n == 0)
				rl->rl_stdin_eof = true;
			else if (n > 0)
				rl->rl_in_len = (size_t)n;
		}
	}

	/*
	 * The server closed first: answer its close_notify as a courtesy.  It
	 * may be gone already, and its close was clean, so errors do not count.
	 */
	if (!rl->rl_notify_sent)
		mbedtls_ssl_close_notify(rl->rl_ssl);
	return 0;
}

int main(int argc, char **argv)
{
	/* mbedTLS keeps these pointers, not copies: they must outlive conf */
	static const char *alpn[] = { "http/1.1", NULL };
	int suites[2] = { 0, 0 };
	const char *cafile = NULL, *suite = NULL, *name = NULL, *host, *port;
	const mbedtls_ssl_ciphersuite_t *info;
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_entropy_context entropy;
	static struct relay rl;	/* 32 KiB of buffers: off the stack */
	char vinfo[512];
	uint32_t flags;
	int opt, ret, rc = EXIT_TLS;

	while ((opt = getopt(argc, argv, "c:s:n:h")) != -1) {
		switch (opt) {
		case 'c':
			cafile = optarg;
			break;
		case 's':
			suite = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	host = argv[optind];
	port = argv[optind + 1];

	if (suite) {
		/* 0 also when this build of mbedTLS left the suite out */
		suites[0] = mbedtls_ssl_get_ciphersuite_id(suite);
		if (!suites[0]) {
			fprintf(stderr, "mbedcli: unknown ciphersuite '%s' (mbedTLS names "
				"look like TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256)\n", suite);
			return EXIT_USAGE;
		}
		info = mbedtls_ssl_ciphersuite_from_id(suites[0]);
		if (!info || info->min_minor_ver > MBEDTLS_SSL_MINOR_VERSION_3 ||
		    info->max_minor_ver < MBEDTLS_SSL_MINOR_VERSION_3) {
			fprintf(stderr, "mbedcli: ciphersuite '%s' cannot be used with TLS 1.2\n",
				suite);
			return EXIT_USAGE;
		}
	}
	/* RFC 6066 forbids an address as SNI, and 2.28 cannot match IP SANs */
	if (!name && !host_is_numeric(host))
		name = host;

	/* a vanished peer or stdout reader must be an error we report, not a kill */
	signal(SIGPIPE, SIG_IGN);

	/* everything is initialised up front so the one exit path frees it all */
	mbedtls_net_init(&net);
	mbedtls_ssl_init(&ssl);
	mbedtls_ssl_config_init(&conf);
	mbedtls_x509_crt_init(&ca);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_entropy_init(&entropy);

	ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
				    (const unsigned char *)"mbedcli", 7);
	if (ret) {
		tls_error(ret, "seeding the random generator");
		goto out;
	}

	if (cafile) {
		/* > 0 counts certificates it skipped; some bundles hold a few */
		ret = mbedtls_x509_crt_parse_file(&ca, cafile);
		if (ret < 0) {
			tls_error(ret, "loading CA file %s", cafile);
			goto out;
		}
		if (ret > 0)
			fprintf(stderr, "mbedcli: %s: %d certificate(s) not understood, "
				"using the others\n", cafile, ret);
	}

	ret = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
					  MBEDTLS_SSL_TRANSPORT_STREAM,
					  MBEDTLS_SSL_PRESET_DEFAULT);
	if (ret) {
		tls_error(ret, "setting up the TLS configuration");
		goto out;
	}
	mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (suites[0])
		mbedtls_ssl_conf_ciphersuites(&conf, suites);
	ret = mbedtls_ssl_conf_alpn_protocols(&conf, alpn);
	if (ret) {
		tls_error(ret, "setting ALPN");
		goto out;
	}
	if (cafile) {
		mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
		mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	} else {
		mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
	}

	ret = mbedtls_ssl_setup(&ssl, &conf);
	if (ret) {
		tls_error(ret, "setting up the TLS context");
		goto out;
	}
	/* one name for both: 2.28 sends it as SNI and checks the certificate with it */
	if (name) {
		ret = mbedtls_ssl_set_hostname(&ssl, name);
		if (ret) {
			tls_error(ret, "setting server name %s", name);
			goto out;
		}
	} else if (cafile) {
		/* 2.28 then skips the name check without a word: say so */
		fprintf(stderr, "mbedcli: no -n for numeric host %s: the certificate "
			"chain is verified, its name is not\n", host);
	}

	ret = mbedtls_net_connect(&net, host, port, MBEDTLS_NET_PROTO_TCP);
	if (ret) {
		tls_error(ret, "connecting to %s port %s", host, port);
		goto out;
	}
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);

	/* the socket is still blocking here; the loop only covers EINTR */
	do
		ret = mbedtls_ssl_handshake(&ssl);
	while (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (ret) {
		tls_error(ret, "handshake with %s port %s", host, port);
		/* the error code alone does not say which check failed */
		flags = mbedtls_ssl_get_verify_result(&ssl);
		if (cafile && flags && flags != (uint32_t)-1 &&
		    mbedtls_x509_crt_verify_info(vinfo, sizeof(vinfo),
						 "mbedcli: certificate: ", flags) > 0)
			fputs(vinfo, stderr);
		goto out;
	}
	fprintf(stderr, "mbedcli: %s %s\n", mbedtls_ssl_get_version(&ssl),
		mbedtls_ssl_get_ciphersuite(&ssl));

	/* net_recv/net_send report EAGAIN as WANT_READ/WRITE only on O_NONBLOCK */
	if (mbedtls_net_set_nonblock(&net)) {
		fprintf(stderr, "mbedcli: making the socket non-blocking: %s\n",
			strerror(errno));
		goto out;
	}
	rl.rl_ssl = &ssl;
	rl.rl_sock = net.fd;
	rc = relay_run(&rl);

out:
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_x509_crt_free(&ca);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	mbedtls_net_free(&net);
	return rc;
}
