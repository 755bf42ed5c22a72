// SPDX-License-Identifier: GPL-2.0
/*
 * The server name a TLS client asks for, read from its ClientHello before any
 * TLS library sees the connection: the binding, and with it the library that
 * runs the handshake, is chosen by that name.  The bytes are unauthenticated
 * input from the network, so every length is checked against what holds it
 * before it is used, and nothing here reads outside the caller's buffer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "khttpsd.h"

#define TLS_RECORD_HEADER	5
#define TLS_MAX_PLAINTEXT	16384	/* 2^14, RFC 8446 section 5.1 */
#define TLS_CT_HANDSHAKE	22
#define TLS_HS_CLIENT_HELLO	1
#define TLS_RANDOM_LEN		32
#define TLS_MAX_SESSION_ID	32
#define TLS_EXT_SERVER_NAME	0
#define SNI_HOST_NAME		0
#define SNI_MAX_NAME		255	/* a DNS name, RFC 1035 section 2.3.4 */

/* A window on the input: taking from it shrinks it and never passes its end. */
struct span {
	const uint8_t *sp_p;
	size_t sp_left;
};

/* Take @n bytes off the front of @s into @out (which may be NULL to skip them). */
static bool take(struct span *s, size_t n, struct span *out)
{
	if (n > s->sp_left)
		return false;
	if (out) {
		out->sp_p = s->sp_p;
		out->sp_left = n;
	}
	s->sp_p += n;
	s->sp_left -= n;
	return true;
}

/* A big-endian integer of @bytes (at most 3) bytes. */
static bool take_uint(struct span *s, size_t bytes, size_t *val)
{
	struct span f;
	size_t i;

	if (!take(s, bytes, &f))
		return false;
	*val = 0;
	for (i = 0; i < bytes; i++)
		*val = *val << 8 | f.sp_p[i];
	return true;
}

/* A vector with a @prefix-byte length: the body goes to @out. */
static bool take_vec(struct span *s, size_t prefix, struct span *out)
{
	size_t n;

	return take_uint(s, prefix, &n) && take(s, n, out);
}

/*
 * The server_name extension's data (RFC 6066 section 3).  The list must hold
 * exactly one host_name: no other name type was ever defined, and TLS
 * libraries (OpenSSL among them) refuse a list with anything more, so a
 * binding chosen from such a list would only serve a handshake that fails.
 */
static int parse_server_name(struct span ext, char *sni, size_t sni_len)
{
	struct span list, name;
	size_t type;

	if (!take_vec(&ext, 2, &list) || ext.sp_left)
		return -EPROTO;
	if (!take_uint(&list, 1, &type) || type != SNI_HOST_NAME ||
	    !take_vec(&list, 2, &name) || list.sp_left)
		return -EPROTO;
	/* "a.test." is the same host as "a.test", and bindings are named without the dot. */
	if (name.sp_left && name.sp_p[name.sp_left - 1] == '.')
		name.sp_left--;
	/* A NUL would make the C string name a different host than the client asked for. */
	if (!name.sp_left || name.sp_left > SNI_MAX_NAME || name.sp_left >= sni_len ||
	    memchr(name.sp_p, '\0', name.sp_left))
		return -EPROTO;
	memcpy(sni, name.sp_p, name.sp_left);
	sni[name.sp_left] = '\0';
	return 1;
}

static int parse_hello(const uint8_t *buf, size_t len, char *sni, size_t sni_len)
{
	struct span rec, hello, field, exts, ext;
	size_t rec_len, type;
	bool found = false;
	int ret;

	/*
	 * Judge the header as soon as its bytes are here: a client speaking
	 * something else (plain HTTP to the TLS port) is refused at once
	 * instead of being waited on for a record that never comes.
	 */
	if (len >= 1 && buf[0] != TLS_CT_HANDSHAKE)
		return -EPROTO;
	if (len < TLS_RECORD_HEADER)
		return -EAGAIN;
	rec_len = (size_t)buf[3] << 8 | buf[4];
	if (!rec_len || rec_len > TLS_MAX_PLAINTEXT)
		return -EPROTO;
	if (len - TLS_RECORD_HEADER < rec_len)
		return -EAGAIN;
	rec.sp_p = buf + TLS_RECORD_HEADER;
	rec.sp_left = rec_len;

	/*
	 * A hello that runs past its record is legal but rare; the caller has
	 * a slower path for it.  Bytes after the hello in the same record are
	 * left for the TLS library to refuse.
	 */
	if (!take_uint(&rec, 1, &type) || type != TLS_HS_CLIENT_HELLO ||
	    !take_vec(&rec, 3, &hello))
		return -EPROTO;

	if (!take(&hello, 2 + TLS_RANDOM_LEN, NULL))	/* legacy_version, random */
		return -EPROTO;
	if (!take_vec(&hello, 1, &field) || field.sp_left > TLS_MAX_SESSION_ID)
		return -EPROTO;
	if (!take_vec(&hello, 2, &field) || !field.sp_left || field.sp_left % 2)
		return -EPROTO;				/* cipher_suites, two bytes each */
	if (!take_vec(&hello, 1, &field) || !field.sp_left)
		return -EPROTO;				/* compression_methods */

	/* Extensions are optional before TLS 1.3: a hello may stop here. */
	if (!hello.sp_left)
		return 0;
	if (!take_vec(&hello, 2, &exts) || hello.sp_left)
		return -EPROTO;
	while (exts.sp_left) {
		if (!take_uint(&exts, 2, &type) || !take_vec(&exts, 2, &ext))
			return -EPROTO;
		if (type != TLS_EXT_SERVER_NAME)
			continue;
		/* RFC 8446 4.2: a repeated extension is an error; which name would count? */
		if (found)
			return -EPROTO;
		found = true;
		ret = parse_server_name(ext, sni, sni_len);
		if (ret < 0)
			return ret;
	}
	return found ? 1 : 0;
}

/**
 * kd_hello_sni() - the server name in a client's first TLS record
 * @buf: the bytes the client has sent so far (peeked, so possibly incomplete)
 * @len: how many there are
 * @sni: where the name goes, NUL-terminated, one trailing dot removed and
 *	case left as sent; "" whenever the return is not 1
 * @sni_len: the size of @sni
 *
 * Walks the first record's ClientHello (RFC 8446 section 4.1.2, RFC 5246
 * section 7.4.1.2) far enough to find the server_name extension, checking
 * every length against its container on the way.  Reads nothing outside
 * @buf[0..@len) and writes nothing outside @sni[0..@sni_len).
 *
 * Context: any; no allocation, no locking, no global state.
 * Return: 1 when the hello names a host (copied to @sni); 0 for a complete,
 * well-formed hello without server_name; -EAGAIN while the first record is
 * not all in @buf; -EPROTO for anything else: not a TLS handshake record
 * (decided from the header alone, even before the record is complete), a
 * hello that is not whole in the first record, a malformed hello or
 * server_name, or a name that is empty, holds a NUL, or is longer than 255
 * bytes or than @sni can hold.
 */
int kd_hello_sni(const uint8_t *buf, size_t len, char *sni, size_t sni_len)
{
	int ret = parse_hello(buf, len, sni, sni_len);

	/* A name seen before a later error must not be taken for an answer. */
	if (ret != 1 && sni_len)
		sni[0] = '\0';
	return ret;
}
