// SPDX-License-Identifier: GPL-2.0
/*
 * khttps: installing the daemon's record keys with kTLS.
 *
 * Order matters (see DESIGN.md): the ULP can only be set on an established
 * socket; TLS_RX goes last because it parses queued records at once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/filter.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <uapi/linux/tls.h>

#include "khttps.h"

union khttps_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

struct khttps_cipher_desc {
	u16 cipher;
	int key, iv, salt, size;
	int off_key, off_iv, off_salt, off_seq;
};

#define KHTTPS_CIPHER(id, type)							\
	{ .cipher = id, .size = sizeof(struct type),				\
	  .key = sizeof_field(struct type, key), .iv = sizeof_field(struct type, iv), \
	  .salt = sizeof_field(struct type, salt),				\
	  .off_key = offsetof(struct type, key), .off_iv = offsetof(struct type, iv), \
	  .off_salt = offsetof(struct type, salt),				\
	  .off_seq = offsetof(struct type, rec_seq) }

static const struct khttps_cipher_desc khttps_ciphers[] = {
	KHTTPS_CIPHER(TLS_CIPHER_AES_GCM_128, tls12_crypto_info_aes_gcm_128),
	KHTTPS_CIPHER(TLS_CIPHER_AES_GCM_256, tls12_crypto_info_aes_gcm_256),
	KHTTPS_CIPHER(TLS_CIPHER_CHACHA20_POLY1305, tls12_crypto_info_chacha20_poly1305),
};

static const struct khttps_cipher_desc *khttps_cipher_find(u16 cipher)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(khttps_ciphers); i++)
		if (khttps_ciphers[i].cipher == cipher)
			return &khttps_ciphers[i];
	return NULL;
}

static int khttps_fill(union khttps_crypto_info *ci, const struct khttps_cipher_desc *d,
		       u16 version, const struct khttps_keys *k, const char *dir,
		       struct netlink_ext_ack *extack)
{
	u8 *base = (u8 *)ci;

	if (k->key_len != d->key || k->iv_len != d->iv || k->salt_len != d->salt ||
	    k->rec_seq_len != TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE) {
		NL_SET_ERR_MSG_FMT(extack,
				   "khttps: %s keys: lengths key %d iv %d salt %d seq %d, cipher wants %d %d %d 8",
				   dir, k->key_len, k->iv_len, k->salt_len, k->rec_seq_len,
				   d->key, d->iv, d->salt);
		return -EINVAL;
	}
	memset(ci, 0, sizeof(*ci));
	ci->info.version = version;
	ci->info.cipher_type = d->cipher;
	memcpy(base + d->off_key, k->key, d->key);
	memcpy(base + d->off_iv, k->iv, d->iv);
	if (d->salt)
		memcpy(base + d->off_salt, k->salt, d->salt);
	memcpy(base + d->off_seq, k->rec_seq, TLS_CIPHER_AES_GCM_128_REC_SEQ_SIZE);
	return 0;
}

/*
 * The worker had the socket as a file of its own: make sure it let go and
 * left nothing on it that would change what kTLS does.
 */
static int khttps_ktls_check_socket(struct khttps_conn *kc, struct netlink_ext_ack *extack)
{
	struct sock *sk = kc->kc_sock->sk;
	int err = 0;

	if (file_count(kc->kc_file) != 1) {
		NL_SET_ERR_MSG(extack, "khttps: close the connection's fd before DONE");
		return -EBUSY;
	}
	khttps_conn_sock_kernel(kc);
	/* O_NONBLOCK on the shared file is the worker's; ours sends say so themselves. */
	spin_lock(&kc->kc_file->f_lock);
	kc->kc_file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&kc->kc_file->f_lock);

	lock_sock(sk);
	if (inet_csk(sk)->icsk_ulp_ops) {
		NL_SET_ERR_MSG(extack, "khttps: the worker set a ULP on the socket");
		err = -EPERM;
	} else if (rcu_access_pointer(sk->sk_filter)) {
		NL_SET_ERR_MSG(extack, "khttps: the worker attached a socket filter");
		err = -EPERM;
	} else if (tcp_sk(sk)->repair) {
		NL_SET_ERR_MSG(extack, "khttps: the socket is in TCP repair mode");
		err = -EPERM;
	} else if (sk->sk_state != TCP_ESTABLISHED || (sk->sk_shutdown & RCV_SHUTDOWN)) {
		/* kTLS accepts only an established socket still open for reading. */
		NL_SET_ERR_MSG(extack, "khttps: the client closed before the keys were installed");
		err = -ENOTCONN;
	}
	release_sock(sk);
	return err;
}

/*
 * TLS 1.3 hides a record's type at the end of its plaintext, after any
 * padding, so kTLS decrypts into a buffer of its own and copies out unless
 * told that records carry no padding (TLS_RX_EXPECT_NO_PAD, kernel 6.0):
 * then it decrypts straight into the reader's pages (the relay's pipe, an
 * application's buffer) and decrypts again, the slow way, a record that
 * turns out padded (TlsRxNoPadViolation in /proc/net/tls_stat).  Clients do
 * not pad by default.  The relay's kTLS reads of small records cost a third
 * less with it.  A failure costs only that speed.
 */
static void khttps_ktls_no_pad(struct socket *sock)
{
	u32 on = 1;
	int err;

	if (!khttps_param(rx_expect_no_pad))
		return;
	err = sock->ops->setsockopt(sock, SOL_TLS, TLS_RX_EXPECT_NO_PAD, KERNEL_SOCKPTR(&on),
				    sizeof(on));
	if (err)
		pr_warn_once("TLS_RX_EXPECT_NO_PAD refused (%d): TLS 1.3 records are copied\n", err);
}

/**
 * khttps_ktls_install() - install kTLS with a handshake's record keys
 * @kc: the connection, in HANDSHAKE state, its socket no longer held by the worker
 * @version: TLS_1_2_VERSION or TLS_1_3_VERSION
 * @cipher: TLS_CIPHER_*
 * @tx: server-to-client keys
 * @rx: client-to-server keys
 * @extack: where to say what was wrong
 *
 * The copies of the keys made here are wiped on every path; the caller
 * wipes the request's.
 *
 * Return: 0; -ENOTCONN when the client already closed; -EBUSY when the
 * worker still holds the fd; -EINVAL for keys that do not fit the cipher;
 * another negative errno from kTLS.
 * Context: process; kn_lock held.
 */
int khttps_ktls_install(struct khttps_conn *kc, u16 version, u16 cipher,
			const struct khttps_keys *tx, const struct khttps_keys *rx,
			struct netlink_ext_ack *extack)
{
	const struct khttps_cipher_desc *d = khttps_cipher_find(cipher);
	struct socket *sock = kc->kc_sock;
	union khttps_crypto_info ci;
	int err;

	if (version != TLS_1_2_VERSION && version != TLS_1_3_VERSION) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: TLS version 0x%04x not supported", version);
		return -EINVAL;
	}
	if (!d) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: cipher %u not supported", cipher);
		return -EINVAL;
	}
	err = khttps_ktls_check_socket(kc, extack);
	if (err)
		return err;

	err = sock->ops->setsockopt(sock, SOL_TCP, TCP_ULP, KERNEL_SOCKPTR("tls"), sizeof("tls"));
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "khttps: setting the tls ULP failed (%d)", err);
		return err;
	}
	err = khttps_fill(&ci, d, version, tx, "tx", extack);
	if (!err) {
		err = sock->ops->setsockopt(sock, SOL_TLS, TLS_TX, KERNEL_SOCKPTR(&ci), d->size);
		if (err)
			NL_SET_ERR_MSG_FMT(extack, "khttps: TLS_TX failed (%d)", err);
	}
	if (!err)
		err = khttps_fill(&ci, d, version, rx, "rx", extack);
	if (!err) {
		err = sock->ops->setsockopt(sock, SOL_TLS, TLS_RX, KERNEL_SOCKPTR(&ci), d->size);
		if (err)
			NL_SET_ERR_MSG_FMT(extack, "khttps: TLS_RX failed (%d)", err);
	}
	memzero_explicit(&ci, sizeof(ci));
	if (!err && version == TLS_1_3_VERSION)
		khttps_ktls_no_pad(sock);
	if (!err) {
		kc->kc_version = version;
		kc->kc_cipher = cipher;
		/* Records are counted from here on (khttps_tls_count_records). */
		atomic64_set(&kc->kc_rec_in, get_unaligned_be64(rx->rec_seq));
		atomic64_set(&kc->kc_rec_out, get_unaligned_be64(tx->rec_seq));
	}
	return err;
}
