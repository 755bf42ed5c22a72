// SPDX-License-Identifier: GPL-2.0
/*
 * Session ticket keys, shared by every worker and kept across restarts.
 *
 * A ticket is the session state encrypted under a key only the server
 * knows (RFC 5077, RFC 8446 4.6.1): any worker that has the key can resume
 * the session.  The keys live in one file, mode 0600, which the supervisor
 * creates and rotates: every --ticket-rotate seconds a new key goes first
 * and the oldest of KD_TICKET_KEYS drops out.  New tickets are sealed with
 * the newest key; a ticket under an older one still resumes and is replaced.
 * Workers notice the file change at their next handshake.
 *
 * The file holds ticket keys, never a session's master secret: those exist
 * only inside tickets, encrypted.  One line per key, newest first:
 *
 *	CREATED NAME AES HMAC
 *
 * CREATED is a Unix time, NAME 16 bytes, AES (AES-256-CBC) and HMAC
 * (HMAC-SHA256) keys 32 bytes each, all hex.  The same layout as the
 * ticket key callback OpenSSL documents (SSL_CTX_set_tlsext_ticket_key_evp_cb).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "keys.h"
#include "khttpsd.h"

#define KD_TICKET_KEYS	3

struct kd_ticket_key {
	long long created;
	unsigned char name[16], aes[32], hmac[32];
};

/* The keys in use, newest first; what file version they came from. */
static struct kd_ticket_key kd_keys[KD_TICKET_KEYS];
static int kd_nkeys;
static struct stat kd_keys_st;
static char kd_keys_err[512];

static void kd_hex(const unsigned char *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int kd_unhex_exact(const char *hex, unsigned char *out, size_t n)
{
	size_t len;

	return kd_unhex(hex, out, n, &len) || len != n ? -1 : 0;
}

/*
 * Read the key file into @keys.  Return: the number of keys, -ENOENT when
 * there is no file, or another negative errno with *why set.
 */
static int kd_keys_read(const char *path, struct kd_ticket_key *keys, struct stat *st,
			char *why, size_t whylen)
{
	char line[512], name[64], aes[128], hmac[128];
	int fd, n = 0, lineno = 0;
	FILE *f;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((st->st_mode & 077) || st->st_uid != geteuid()) {
		snprintf(why, whylen, "%s: readable by group or others or owned by another user "
			 "(mode %04o, uid %u); chmod 600 it", path, (unsigned int)(st->st_mode & 07777),
			 (unsigned int)st->st_uid);
		close(fd);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		close(fd);
		return -ENOMEM;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (n == KD_TICKET_KEYS)
			break;
		if (sscanf(line, "%lld %63s %127s %127s", &keys[n].created, name, aes, hmac) != 4 ||
		    kd_unhex_exact(name, keys[n].name, 16) || kd_unhex_exact(aes, keys[n].aes, 32) ||
		    kd_unhex_exact(hmac, keys[n].hmac, 32)) {
			snprintf(why, whylen, "%s:%d: not a ticket key line", path, lineno);
			OPENSSL_cleanse(line, sizeof(line));
			fclose(f);
			return -EINVAL;
		}
		n++;
	}
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(aes, sizeof(aes));
	OPENSSL_cleanse(hmac, sizeof(hmac));
	fclose(f);
	if (!n) {
		snprintf(why, whylen, "%s: no ticket keys", path);
		return -EINVAL;
	}
	return n;
}

/* Write @keys to @path atomically (a temporary file, then rename), mode 0600. */
static int kd_keys_write(const char *path, const struct kd_ticket_key *keys, int n)
{
	char tmp[4200], line[300];
	int fd, i, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "# khttpsd session ticket keys, newest first: secret, keep mode 0600\n");
	if (write(fd, line, strlen(line)) < 0)
		err = -errno;
	for (i = 0; i < n && !err; i++) {
		int len = snprintf(line, sizeof(line), "%lld ", keys[i].created);

		kd_hex(keys[i].name, 16, line + len);
		len += 32;
		line[len++] = ' ';
		kd_hex(keys[i].aes, 32, line + len);
		len += 64;
		line[len++] = ' ';
		kd_hex(keys[i].hmac, 32, line + len);
		len += 64;
		line[len++] = '\n';
		if (write(fd, line, (size_t)len) != len)
			err = errno ? -errno : -EIO;
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* Put a new key first; the oldest beyond KD_TICKET_KEYS drops out. */
static int kd_keys_rotate(const char *path, struct kd_ticket_key *keys, int n)
{
	struct kd_ticket_key fresh = { .created = (long long)time(NULL) };
	int err;

	if (RAND_bytes(fresh.name, sizeof(fresh.name)) != 1 ||
	    RAND_priv_bytes(fresh.aes, sizeof(fresh.aes)) != 1 ||
	    RAND_priv_bytes(fresh.hmac, sizeof(fresh.hmac)) != 1)
		return -EIO;
	memmove(keys + 1, keys, sizeof(*keys) * (KD_TICKET_KEYS - 1));
	keys[0] = fresh;
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	err = kd_keys_write(path, keys, n < KD_TICKET_KEYS ? n + 1 : KD_TICKET_KEYS);
	return err;
}

/**
 * kd_tickets_maintain() - supervisor: create the key file, or rotate it when due
 * @cfg: the daemon's configuration
 * @next: out: seconds until the next rotation is due
 *
 * Return: 0, or -1 after logging why (the file is unusable: the daemon
 * should not start with it).
 */
int kd_tickets_maintain(const struct kd_config *cfg, unsigned int *next)
{
	struct kd_ticket_key keys[KD_TICKET_KEYS] = { 0 };
	char why[512];
	struct stat st;
	long long age;
	int n, err;

	*next = cfg->ticket_rotate;
	n = kd_keys_read(cfg->ticket_keys, keys, &st, why, sizeof(why));
	if (n < 0 && n != -ENOENT) {
		kd_log(LOG_ERR, "ticket key file %s", why);
		return -1;
	}
	if (n < 0)
		n = 0;
	age = n ? (long long)time(NULL) - keys[0].created : 0;
	if (n && age >= 0 && age < cfg->ticket_rotate) {
		*next = cfg->ticket_rotate - (unsigned int)age;
		OPENSSL_cleanse(keys, sizeof(keys));
		return 0;
	}
	err = kd_keys_rotate(cfg->ticket_keys, keys, n);
	OPENSSL_cleanse(keys, sizeof(keys));
	if (err) {
		kd_log(LOG_ERR, "cannot write ticket key file %s: %s", cfg->ticket_keys, strerror(-err));
		return -1;
	}
	kd_log(LOG_INFO, "%s ticket key file %s", n ? "rotated" : "created", cfg->ticket_keys);
	return 0;
}

/**
 * kd_tickets_ready() - worker, before each handshake: reload the keys if the file changed
 * @cfg: the daemon's configuration
 *
 * Return: whether keys are loaded; without them no ticket is issued or
 * accepted (full handshakes), and the cause is logged once.
 */
bool kd_tickets_ready(const struct kd_config *cfg)
{
	struct kd_ticket_key keys[KD_TICKET_KEYS];
	struct stat st;
	char why[512];
	int n;

	if (stat(cfg->ticket_keys, &st) == 0 && kd_nkeys && st.st_ino == kd_keys_st.st_ino &&
	    st.st_size == kd_keys_st.st_size &&
	    !memcmp(&st.st_mtim, &kd_keys_st.st_mtim, sizeof(st.st_mtim)))
		return true;
	n = kd_keys_read(cfg->ticket_keys, keys, &st, why, sizeof(why));
	if (n < 0) {
		/* Say it once per cause, not per handshake. */
		if (strcmp(why, kd_keys_err))
			kd_log(LOG_ERR, "ticket key file %s: no session tickets until it is fixed", why);
		snprintf(kd_keys_err, sizeof(kd_keys_err), "%s", why);
		OPENSSL_cleanse(kd_keys, sizeof(kd_keys));
		kd_nkeys = 0;
		return false;
	}
	kd_keys_err[0] = '\0';
	OPENSSL_cleanse(kd_keys, sizeof(kd_keys));
	memcpy(kd_keys, keys, sizeof(keys[0]) * (size_t)n);
	OPENSSL_cleanse(keys, sizeof(keys));
	kd_nkeys = n;
	kd_keys_st = st;
	return true;
}

/*
 * OpenSSL's ticket key callback: seal new tickets with the newest key, open
 * tickets sealed with any key still in the file (2: re-issue under the newest).
 */
static int kd_ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
			EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const struct kd_ticket_key *k = NULL;
	OSSL_PARAM params[3];
	int i;

	(void)ssl;
	if (!kd_nkeys)
		return 0;
	if (enc) {
		k = &kd_keys[0];
		memcpy(name, k->name, 16);
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1 ||
		    !EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv))
			return -1;
	} else {
		for (i = 0; i < kd_nkeys && !k; i++)
			if (!CRYPTO_memcmp(name, kd_keys[i].name, 16))
				k = &kd_keys[i];
		if (!k)
			return 0;	/* retired: a full handshake */
		if (!EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv))
			return -1;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac, 32);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(hctx, params))
		return -1;
	return enc || k == &kd_keys[0] ? 1 : 2;
}

/*
 * Tickets for engines that bring their own session format (mbedTLS): the
 * same keys and layout as OpenSSL's, RFC 5077's recommended one: key name,
 * IV, AES-256-CBC of the session, HMAC-SHA256 over all of that.
 */
#define KD_TICKET_OVERHEAD (16 + 16 + 16 + 32)	/* name, IV, padding, MAC */

/**
 * kd_tickets_seal() - seal @len bytes of session state into a ticket
 * @in: the session state
 * @len: its length
 * @out: the ticket
 * @cap: room in @out
 *
 * Return: the ticket's length, or -1 (no keys loaded, no room, a crypto failure).
 */
int kd_tickets_seal(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	const struct kd_ticket_key *k = &kd_keys[0];
	EVP_CIPHER_CTX *cctx;
	unsigned int maclen = 0;
	int n = 0, fin = 0, ok;

	if (!kd_nkeys || len > INT32_MAX / 2 || cap < len + KD_TICKET_OVERHEAD)
		return -1;
	memcpy(out, k->name, 16);
	if (RAND_bytes(out + 16, 16) != 1 || !(cctx = EVP_CIPHER_CTX_new()))
		return -1;
	ok = EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, out + 16) &&
	     EVP_EncryptUpdate(cctx, out + 32, &n, in, (int)len) &&
	     EVP_EncryptFinal_ex(cctx, out + 32 + n, &fin);
	EVP_CIPHER_CTX_free(cctx);
	if (!ok || !HMAC(EVP_sha256(), k->hmac, 32, out, 32 + (size_t)(n + fin),
			 out + 32 + n + fin, &maclen) || maclen != 32)
		return -1;
	return 32 + n + fin + 32;
}

/**
 * kd_tickets_open() - the session state in a ticket kd_tickets_seal() made
 * @in: the ticket
 * @len: its length
 * @out: the session state
 * @cap: room in @out (at least @len)
 * @renew: set when an older key sealed it: the client should get a new one
 *
 * Return: the state's length, or -1 (not ours, a retired key, altered).
 */
int kd_tickets_open(const uint8_t *in, size_t len, uint8_t *out, size_t cap, bool *renew)
{
	const struct kd_ticket_key *k = NULL;
	uint8_t mac[32];
	unsigned int maclen = 0;
	EVP_CIPHER_CTX *cctx;
	int i, n = 0, fin = 0, ok;

	if (len < 32 + 16 + 32 || (len - 64) % 16 || cap < len || len > INT32_MAX)
		return -1;
	for (i = 0; i < kd_nkeys && !k; i++)
		if (!CRYPTO_memcmp(in, kd_keys[i].name, 16))
			k = &kd_keys[i];
	if (!k || !HMAC(EVP_sha256(), k->hmac, 32, in, len - 32, mac, &maclen) || maclen != 32 ||
	    CRYPTO_memcmp(mac, in + len - 32, 32))
		return -1;
	if (!(cctx = EVP_CIPHER_CTX_new()))
		return -1;
	ok = EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, in + 16) &&
	     EVP_DecryptUpdate(cctx, out, &n, in + 32, (int)(len - 64)) &&
	     EVP_DecryptFinal_ex(cctx, out + n, &fin);
	EVP_CIPHER_CTX_free(cctx);
	if (!ok) {
		OPENSSL_cleanse(out, cap);
		return -1;
	}
	*renew = k != &kd_keys[0];
	return n + fin;
}

/**
 * kd_tickets_lifetime() - seconds a session may be resumed
 * @cfg: the daemon's configuration
 */
long kd_tickets_lifetime(const struct kd_config *cfg)
{
	long life = 2 * (long)cfg->ticket_rotate;

	return life < 604800 ? life : 604800;
}

/**
 * kd_tickets_setup() - make a context issue and take our tickets
 * @cfg: the daemon's configuration
 * @ctx: a server context
 *
 * Sessions live as long as a ticket key does at least: two rotations, and
 * at most the seven days RFC 8446 4.6.1 allows a ticket.
 */
void kd_tickets_setup(const struct kd_config *cfg, SSL_CTX *ctx)
{
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, kd_ticket_cb);
	SSL_CTX_set_timeout(ctx, kd_tickets_lifetime(cfg));
}
