/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * khttps: kernel-mode HTTPS for Linux.
 *
 * This header is the one ABI shared by khttps.ko and user space (khttpsd,
 * khttpsctl, libkhttps).  It is the protocol document: every command says
 * who sends it and what the answer is, every attribute what it carries.
 *
 * Transport: generic netlink, family KHTTPS_GENL_NAME, per network
 * namespace.  Every command and every multicast group needs CAP_NET_ADMIN
 * in the initial user namespace, held both by the task that opened the
 * netlink socket and by the task that sends on it.
 *
 * Errors come back as a netlink error with an extended-ack message
 * (NETLINK_EXT_ACK) that says what was wrong with the request.
 */
#ifndef _UAPI_LINUX_KHTTPS_H
#define _UAPI_LINUX_KHTTPS_H

#include <linux/ioctl.h>
#include <linux/socket.h>
#include <linux/types.h>

#define KHTTPS_GENL_NAME	"khttps"

/* An accept queue's name: 1..31 bytes of [A-Za-z0-9._-], NUL-terminated. */
#define KHTTPS_QUEUE_NAME_MAX	32

/*
 * KHTTPS_API_VERSION is the version of this header's protocol.  It is the
 * generic-netlink family version, and a request may carry it in
 * KHTTPS_A_API_VERSION: the module refuses a request that names another
 * version (EPROTO, with an extack message naming both), so a daemon and a
 * module from different builds fail loudly instead of misreading each other.
 */
#define KHTTPS_API_VERSION	4

/* Multicast groups (join needs CAP_NET_ADMIN). */
#define KHTTPS_MCGRP_HANDSHAKE	"handshake"	/* READY: a handshake waits for a worker */
#define KHTTPS_MCGRP_EVENTS	"events"	/* reason-coded connection errors, admin events */

/**
 * enum khttps_cmd - generic-netlink commands
 * @KHTTPS_CMD_UNSPEC: never used
 * @KHTTPS_CMD_VERSION_GET: any admin tool -> kernel, do.  Request: optional
 *	%KHTTPS_A_API_VERSION (the caller's).  Reply: %KHTTPS_A_API_VERSION,
 *	%KHTTPS_A_MODULE_VERSION, %KHTTPS_A_KERNEL_RELEASE, %KHTTPS_A_CAPS.
 * @KHTTPS_CMD_BINDING_ADD: khttpsctl -> kernel, do.  Request: what the
 *	binding matches (&enum khttps_bind_kind: %KHTTPS_A_BIND; or
 *	%KHTTPS_A_KIND with %KHTTPS_A_HOST or %KHTTPS_A_STORE, and
 *	%KHTTPS_A_PORT), %KHTTPS_A_CERT and %KHTTPS_A_KEY (absolute paths the
 *	daemon will read; not for ccs), optional %KHTTPS_A_POLICY, and exactly
 *	one of %KHTTPS_A_BACKEND (forward mode) or %KHTTPS_A_QUEUE (queue
 *	mode).  The kernel opens the
 *	listeners before it answers: EADDRINUSE when the port is taken, EEXIST
 *	when the binding exists.  Reply: ack.
 * @KHTTPS_CMD_BINDING_DEL: khttpsctl -> kernel, do.  Request: the binding as
 *	in %KHTTPS_CMD_BINDING_ADD (no cert, key or target).  Closes listeners
 *	no other binding uses; connections already accepted go on.  Reply:
 *	ack, or ENOENT.
 * @KHTTPS_CMD_BINDING_GET: khttpsctl -> kernel, dump.  One message per
 *	binding: %KHTTPS_A_BINDING_ID, %KHTTPS_A_KIND, %KHTTPS_A_BIND or
 *	%KHTTPS_A_HOST and %KHTTPS_A_PORT or %KHTTPS_A_STORE and
 *	%KHTTPS_A_PORT, %KHTTPS_A_CERT, %KHTTPS_A_KEY, %KHTTPS_A_POLICY,
 *	%KHTTPS_A_BACKEND or %KHTTPS_A_QUEUE, %KHTTPS_A_STATS.
 * @KHTTPS_CMD_BINDING_SET: khttpsctl -> kernel, do.  Request: the binding as
 *	in %KHTTPS_CMD_BINDING_DEL, and what changes: %KHTTPS_A_CERT with
 *	%KHTTPS_A_KEY, or %KHTTPS_A_STORE (ccs); %KHTTPS_A_POLICY (replaces
 *	the whole policy); %KHTTPS_A_BACKEND (forward mode).  All or nothing;
 *	handshakes from now on use it, established connections are left alone.
 *	Reply: ack, or ENOENT.
 * @KHTTPS_CMD_STATS_GET: khttpsctl -> kernel, do.  Reply: %KHTTPS_A_STATS
 *	(the namespace's totals) and %KHTTPS_A_DAEMON.
 * @KHTTPS_CMD_HS_READY: kernel -> %KHTTPS_MCGRP_HANDSHAKE, notification:
 *	handshakes wait; %KHTTPS_A_PENDING says how many.  Workers answer with
 *	%KHTTPS_CMD_HS_ACCEPT.  When every worker named its group socket
 *	(%KHTTPS_A_NOTIFY_PORT), it goes to one of them that is not already
 *	taking connections, unicast, and an ACCEPT that leaves more waiting
 *	sends one to another such worker.  If no connection was taken within
 *	the module parameter ready_retry_ms of a unicast READY (a stopped or
 *	stuck worker), the whole group hears one.
 * @KHTTPS_CMD_HS_ACCEPT: khttpsd worker -> kernel, do.  Takes the oldest
 *	waiting connection.  Reply: %KHTTPS_A_CONN_ID, %KHTTPS_A_FD (the
 *	connection's socket, now an O_CLOEXEC fd of the calling process),
 *	%KHTTPS_A_PEER, %KHTTPS_A_BIND (the listening address), and either
 *	%KHTTPS_A_BINDING_ID, %KHTTPS_A_CERT, %KHTTPS_A_KEY (the address
 *	binding: the port has no host or ccs binding) with %KHTTPS_A_POLICY,
 *	or %KHTTPS_A_SELECT; and %KHTTPS_A_LAST when no other connection
 *	waited, so the worker need not ask again until the next READY.
 *	EAGAIN when nothing waits.  The connection belongs to the caller's
 *	netlink port from now on: if that socket closes, it is failed.
 * @KHTTPS_CMD_HS_SELECT: khttpsd worker -> kernel, do.  Request:
 *	%KHTTPS_A_CONN_ID (a connection in this worker's handshake), optional
 *	%KHTTPS_A_HOST (the client's SNI) and %KHTTPS_A_SKIP_CCS.  Looks the
 *	binding up (see &enum khttps_bind_kind).  Reply: %KHTTPS_A_BINDING_ID,
 *	%KHTTPS_A_KIND, %KHTTPS_A_CERT and %KHTTPS_A_KEY or %KHTTPS_A_STORE,
 *	and %KHTTPS_A_POLICY; ENOENT when nothing matches.
 * @KHTTPS_CMD_HS_DONE: khttpsd worker -> kernel, do.  Request:
 *	%KHTTPS_A_CONN_ID and %KHTTPS_A_STATUS; on success (status 0) also
 *	%KHTTPS_A_TLS_VERSION, %KHTTPS_A_CIPHER, %KHTTPS_A_TX, %KHTTPS_A_RX and
 *	optionally %KHTTPS_A_SNI, %KHTTPS_A_ALPN, %KHTTPS_A_SUITE,
 *	%KHTTPS_A_CLIENT_CERT, %KHTTPS_A_RESUMED, %KHTTPS_A_SESSION_TOKEN with
 *	%KHTTPS_A_SESSION_LIFE; %KHTTPS_A_BINDING_ID, the
 *	binding %KHTTPS_CMD_HS_SELECT chose, when ACCEPT named none (the
 *	connection is delivered as that binding says).  The worker must have closed
 *	its fd first (EBUSY otherwise).  The kernel installs the keys with kTLS
 *	and wipes them, also in the request.  Reply: ack; on any error the
 *	connection is closed and counted.
 * @KHTTPS_CMD_HS_SESSION: khttpsd worker -> kernel, do.  Request:
 *	%KHTTPS_A_CONN_ID (a connection in this worker's handshake) and
 *	%KHTTPS_A_SESSION_TOKEN, from the ticket the client offers.  Reply:
 *	ack when the session may be resumed under the close_notify policy (its
 *	last connection ended cleanly), ENOENT when not.
 * @KHTTPS_CMD_EVENT: kernel -> %KHTTPS_MCGRP_EVENTS, notification: a
 *	connection was refused or failed (the error log, as HTTP.SYS's
 *	HTTPERR).  %KHTTPS_A_REASON (the counter it was counted under),
 *	%KHTTPS_A_TIME, %KHTTPS_A_PEER, %KHTTPS_A_LOCAL, and when known
 *	%KHTTPS_A_CONN_ID, the binding (%KHTTPS_A_BINDING_ID, %KHTTPS_A_KIND
 *	with %KHTTPS_A_BIND or %KHTTPS_A_HOST and %KHTTPS_A_PORT) and
 *	%KHTTPS_A_SNI.  Sent only while someone listens; a listener that reads
 *	too slowly loses events (its socket reports ENOBUFS), never the
 *	connections.
 * @KHTTPS_CMD_CONN_GET: khttpsctl -> kernel, dump.  One message per open
 *	connection of the namespace: %KHTTPS_A_CONN_ID, %KHTTPS_A_PHASE,
 *	%KHTTPS_A_AGE_MS, %KHTTPS_A_PEER, %KHTTPS_A_LOCAL, the binding when
 *	known (as in %KHTTPS_CMD_EVENT), once established
 *	%KHTTPS_A_TLS_VERSION, %KHTTPS_A_CIPHER and, when there were ones,
 *	%KHTTPS_A_SNI and %KHTTPS_A_ALPN, and %KHTTPS_A_STATS with
 *	%KHTTPS_STAT_BYTES_IN and %KHTTPS_STAT_BYTES_OUT.  No key material.
 */
enum khttps_cmd {
	KHTTPS_CMD_UNSPEC,
	KHTTPS_CMD_VERSION_GET,
	KHTTPS_CMD_BINDING_ADD,
	KHTTPS_CMD_BINDING_DEL,
	KHTTPS_CMD_BINDING_GET,
	KHTTPS_CMD_STATS_GET,
	KHTTPS_CMD_HS_READY,
	KHTTPS_CMD_HS_ACCEPT,
	KHTTPS_CMD_HS_DONE,
	KHTTPS_CMD_HS_SELECT,
	KHTTPS_CMD_BINDING_SET,
	KHTTPS_CMD_HS_SESSION,
	KHTTPS_CMD_EVENT,
	KHTTPS_CMD_CONN_GET,

	__KHTTPS_CMD_MAX,
	KHTTPS_CMD_MAX = __KHTTPS_CMD_MAX - 1
};

/**
 * enum khttps_attr - top-level attributes
 * @KHTTPS_A_UNSPEC: never used
 * @KHTTPS_A_API_VERSION: u32, %KHTTPS_API_VERSION of the sender
 * @KHTTPS_A_MODULE_VERSION: NUL-terminated string, khttps.ko's version
 * @KHTTPS_A_KERNEL_RELEASE: NUL-terminated string, the running kernel's release
 * @KHTTPS_A_CAPS: u32, bitmask of &enum khttps_cap the module implements
 * @KHTTPS_A_BIND: nest, &enum khttps_addr_attr: a binding's listening address
 * @KHTTPS_A_CERT: string, absolute path of the certificate (PEM)
 * @KHTTPS_A_KEY: string, absolute path of the private key (PEM)
 * @KHTTPS_A_BACKEND: nest, &enum khttps_addr_attr: forward-mode backend
 * @KHTTPS_A_QUEUE: string, queue-mode accept queue name (1..31 bytes of
 *	[A-Za-z0-9._-]).  Bindings that name the same queue share it.
 * @KHTTPS_A_STATS: nest of u64 counters, attribute type = &enum khttps_stat
 * @KHTTPS_A_PENDING: u32, handshakes waiting for a worker
 * @KHTTPS_A_CONN_ID: u64, a connection's id, unique in its namespace
 * @KHTTPS_A_FD: s32, a file descriptor installed in the receiving process
 * @KHTTPS_A_PEER: nest, &enum khttps_addr_attr: the client's address
 * @KHTTPS_A_STATUS: u32, handshake result: 0 for success, otherwise an
 *	&enum khttps_hs_status
 * @KHTTPS_A_TLS_VERSION: u16, TLS_1_2_VERSION or TLS_1_3_VERSION (linux/tls.h)
 * @KHTTPS_A_CIPHER: u16, TLS_CIPHER_AES_GCM_128, TLS_CIPHER_AES_GCM_256 or
 *	TLS_CIPHER_CHACHA20_POLY1305 (linux/tls.h)
 * @KHTTPS_A_TX: nest, &enum khttps_crypto_attr: server-to-client keys
 * @KHTTPS_A_RX: nest, &enum khttps_crypto_attr: client-to-server keys
 * @KHTTPS_A_SNI: string, the server name the client asked for (<= 255)
 * @KHTTPS_A_ALPN: string, the negotiated ALPN protocol (<= 255)
 * @KHTTPS_A_PAD: padding for 64-bit attributes
 * @KHTTPS_A_QUEUE_UID: u32, with %KHTTPS_A_QUEUE: a user (in the sender's
 *	user namespace) that may attach to the queue without CAP_NET_ADMIN
 * @KHTTPS_A_QUEUE_GID: u32, likewise a group whose members may attach
 * @KHTTPS_A_DAEMON: u8, in replies only: 1 when some netlink socket of
 *	the namespace has sent %KHTTPS_CMD_HS_ACCEPT and is still open (a
 *	khttpsd worker, which asks at start and after every READY, is running)
 * @KHTTPS_A_KIND: u8, &enum khttps_bind_kind; %KHTTPS_BIND_ADDR when absent
 * @KHTTPS_A_HOST: string, %KHTTPS_BIND_HOST: a host name ("www.example.test")
 *	or a wildcard one label deep ("*.example.test"); case is ignored.  In
 *	%KHTTPS_CMD_HS_SELECT, the name the client sent (SNI)
 * @KHTTPS_A_PORT: u16, %KHTTPS_BIND_HOST and %KHTTPS_BIND_CCS: the port
 * @KHTTPS_A_STORE: string, %KHTTPS_BIND_CCS: absolute path of the central
 *	certificate store (a directory)
 * @KHTTPS_A_BINDING_ID: u64, a binding's id, unique in its namespace
 * @KHTTPS_A_SELECT: flag, in the %KHTTPS_CMD_HS_ACCEPT reply: the port has
 *	host or ccs bindings, so the worker must ask %KHTTPS_CMD_HS_SELECT with
 *	the client's SNI before it picks a certificate
 * @KHTTPS_A_SKIP_CCS: flag, in %KHTTPS_CMD_HS_SELECT: the ccs store had no
 *	certificate for the name; look further (the address binding)
 * @KHTTPS_A_POLICY: nest, &enum khttps_policy_attr: the binding's TLS
 *	policy, which the daemon applies; kept and given back as sent
 * @KHTTPS_A_CLIENT_CERT: nest, &enum khttps_client_cert_attr: in DONE, the
 *	client certificate the daemon verified, for applications
 * @KHTTPS_A_SUITE: u16, in DONE: the negotiated cipher suite's IANA number
 *	(0x1301, 0xc02f, ...), for the PROXY header's cipher name
 * @KHTTPS_A_RESUMED: flag, in DONE: the handshake resumed a session
 * @KHTTPS_A_CLOSE_NOTIFY: u8, in the %KHTTPS_CMD_HS_ACCEPT,
 *	%KHTTPS_CMD_HS_SELECT and %KHTTPS_CMD_BINDING_GET replies: 1 when the binding's close_notify policy
 *	(its own, or the module's close_notify parameter) is on: sessions may
 *	be resumed only after a clean end, which %KHTTPS_CMD_HS_SESSION tells
 * @KHTTPS_A_SESSION_TOKEN: binary, %KHTTPS_SESSION_TOKEN_LEN bytes: the
 *	daemon's name for a TLS session (in DONE, %KHTTPS_CMD_HS_SESSION)
 * @KHTTPS_A_REASON: u32, in %KHTTPS_CMD_EVENT: why, as an &enum khttps_stat
 *	(the counter the connection was counted under)
 * @KHTTPS_A_TIME: u64, in %KHTTPS_CMD_EVENT: when, in nanoseconds since the
 *	epoch (CLOCK_REALTIME)
 * @KHTTPS_A_LOCAL: nest, &enum khttps_addr_attr: the listening address a
 *	connection came in on
 * @KHTTPS_A_PHASE: u8, in %KHTTPS_CMD_CONN_GET: &enum khttps_conn_phase
 * @KHTTPS_A_AGE_MS: u64, in %KHTTPS_CMD_CONN_GET: milliseconds since accept
 * @KHTTPS_A_SESSION_LIFE: u32, in DONE with %KHTTPS_A_SESSION_TOKEN: seconds
 *	the session stays resumable after a clean end (at most 604800)
 * @KHTTPS_A_LAST: flag, in the %KHTTPS_CMD_HS_ACCEPT reply: the connection
 *	taken was the last one waiting; the next to arrive sends a
 *	%KHTTPS_CMD_HS_READY.  Without it more may wait: ACCEPT again until
 *	-EAGAIN (an older module never sends it)
 * @KHTTPS_A_NOTIFY_PORT: u32, in %KHTTPS_CMD_HS_ACCEPT (with
 *	%KHTTPS_CAP_NOTIFY_PORT): the netlink port id of the caller's socket
 *	in %KHTTPS_MCGRP_HANDSHAKE.  Once every worker has named one, READY
 *	goes to one idle worker there instead of to the whole group
 */
enum khttps_attr {
	KHTTPS_A_UNSPEC,
	KHTTPS_A_API_VERSION,
	KHTTPS_A_MODULE_VERSION,
	KHTTPS_A_KERNEL_RELEASE,
	KHTTPS_A_CAPS,
	KHTTPS_A_BIND,
	KHTTPS_A_CERT,
	KHTTPS_A_KEY,
	KHTTPS_A_BACKEND,
	KHTTPS_A_QUEUE,
	KHTTPS_A_STATS,
	KHTTPS_A_PENDING,
	KHTTPS_A_CONN_ID,
	KHTTPS_A_FD,
	KHTTPS_A_PEER,
	KHTTPS_A_STATUS,
	KHTTPS_A_TLS_VERSION,
	KHTTPS_A_CIPHER,
	KHTTPS_A_TX,
	KHTTPS_A_RX,
	KHTTPS_A_SNI,
	KHTTPS_A_ALPN,
	KHTTPS_A_PAD,
	KHTTPS_A_QUEUE_UID,
	KHTTPS_A_QUEUE_GID,
	KHTTPS_A_DAEMON,
	KHTTPS_A_KIND,
	KHTTPS_A_HOST,
	KHTTPS_A_PORT,
	KHTTPS_A_STORE,
	KHTTPS_A_BINDING_ID,
	KHTTPS_A_SELECT,
	KHTTPS_A_SKIP_CCS,
	KHTTPS_A_POLICY,
	KHTTPS_A_CLIENT_CERT,
	KHTTPS_A_SUITE,
	KHTTPS_A_RESUMED,
	KHTTPS_A_CLOSE_NOTIFY,
	KHTTPS_A_SESSION_TOKEN,
	KHTTPS_A_SESSION_LIFE,
	KHTTPS_A_REASON,
	KHTTPS_A_TIME,
	KHTTPS_A_LOCAL,
	KHTTPS_A_PHASE,
	KHTTPS_A_AGE_MS,
	KHTTPS_A_LAST,
	KHTTPS_A_NOTIFY_PORT,

	__KHTTPS_A_MAX,
	KHTTPS_A_MAX = __KHTTPS_A_MAX - 1
};

/**
 * enum khttps_bind_kind - what a binding matches (%KHTTPS_A_KIND)
 *
 * For each handshake the binding is looked up in this order: a host binding
 * whose name equals the client's SNI, a wildcard host binding that covers
 * it, the port's ccs store, then the address binding of the listening
 * address.  Host and ccs bindings of a port listen on 0.0.0.0 and [::] of
 * that port (sharing those listeners with address bindings there); a client
 * without SNI matches only an address binding.
 *
 * @KHTTPS_BIND_ADDR: an address and port (%KHTTPS_A_BIND), like HTTP.SYS's
 *	ipport
 * @KHTTPS_BIND_HOST: a host name or wildcard (%KHTTPS_A_HOST) on a port
 *	(%KHTTPS_A_PORT), like hostnameport
 * @KHTTPS_BIND_CCS: a central certificate store (%KHTTPS_A_STORE) on a port,
 *	one per port; the daemon finds NAME.pem or NAME.crt and NAME.key there
 */
enum khttps_bind_kind {
	KHTTPS_BIND_ADDR,
	KHTTPS_BIND_HOST,
	KHTTPS_BIND_CCS,

	__KHTTPS_BIND_MAX,
};

/**
 * enum khttps_policy_attr - a binding's TLS policy (nested in %KHTTPS_A_POLICY)
 *
 * Each is optional; what is absent takes the default.
 *
 * @KHTTPS_POLICY_A_UNSPEC: never used
 * @KHTTPS_POLICY_A_MIN_VERSION: u16, the lowest TLS version offered:
 *	TLS_1_2_VERSION (default) or TLS_1_3_VERSION (linux/tls.h)
 * @KHTTPS_POLICY_A_MAX_VERSION: u16, the highest: TLS_1_3_VERSION (default)
 *	or TLS_1_2_VERSION (TLS 1.3 switched off); not below the minimum
 * @KHTTPS_POLICY_A_ALPN: string, ALPN protocols the server accepts, in its
 *	order of preference, comma-separated ("h2,http/1.1"); default "http/1.1"
 * @KHTTPS_POLICY_A_CHAIN: string, absolute path of a PEM file of
 *	intermediate certificates, sent after the certificate in file order
 * @KHTTPS_POLICY_A_CLIENT_CERT: u8, &enum khttps_client_cert: whether the
 *	handshake asks the client for a certificate; default off
 * @KHTTPS_POLICY_A_CA: string, absolute path of the PEM file of CAs that
 *	client certificates must chain to; needed unless client certs are off
 * @KHTTPS_POLICY_A_CRL: string, absolute path of a PEM CRL file checked for
 *	each client certificate
 * @KHTTPS_POLICY_A_PROXY: u8, &enum khttps_proxy: forward mode only: what
 *	the backend is told first about the client and its TLS session
 * @KHTTPS_POLICY_A_RESUME: u8, 1 (default): clients may resume sessions
 *	(TLS 1.3 and 1.2 session tickets); 0: every handshake is a full one
 * @KHTTPS_POLICY_A_CLOSE_NOTIFY: u8, the close_notify policy (HTTP.SYS's
 *	EnableSslCloseNotify); absent: the module's close_notify parameter.
 *	1: the server sends close_notify when it closes, and a session may be
 *	resumed only after a connection of it ended cleanly (the client sent
 *	close_notify, or the server closed first and the client did not
 *	truncate); 0: the server closes without close_notify, and sessions
 *	resume whatever the end
 * @KHTTPS_POLICY_A_ENGINE: u8, &enum khttps_engine: the TLS library that
 *	runs the handshake; absent: khttpsd's own default (--engine)
 * @KHTTPS_POLICY_A_MAX_CONNS: u32, 1..4194304: the binding's open connections
 *	at most (absent: only the namespace's max_connections); one more is
 *	refused at accept, or for host and ccs bindings when HS_SELECT picks
 *	the binding, and counted as %KHTTPS_STAT_REFUSED_CONNS
 */
enum khttps_policy_attr {
	KHTTPS_POLICY_A_UNSPEC,
	KHTTPS_POLICY_A_MIN_VERSION,
	KHTTPS_POLICY_A_MAX_VERSION,
	KHTTPS_POLICY_A_ALPN,
	KHTTPS_POLICY_A_CHAIN,
	KHTTPS_POLICY_A_CLIENT_CERT,
	KHTTPS_POLICY_A_CA,
	KHTTPS_POLICY_A_CRL,
	KHTTPS_POLICY_A_PROXY,
	KHTTPS_POLICY_A_RESUME,
	KHTTPS_POLICY_A_CLOSE_NOTIFY,
	KHTTPS_POLICY_A_ENGINE,
	KHTTPS_POLICY_A_MAX_CONNS,

	__KHTTPS_POLICY_A_MAX,
	KHTTPS_POLICY_A_MAX = __KHTTPS_POLICY_A_MAX - 1
};

/**
 * enum khttps_engine - handshake engines (%KHTTPS_POLICY_A_ENGINE)
 * @KHTTPS_ENGINE_DEFAULT: the daemon's default
 * @KHTTPS_ENGINE_OPENSSL: OpenSSL 3: TLS 1.2 and 1.3
 * @KHTTPS_ENGINE_MBEDTLS: mbedTLS 2.28: TLS 1.2 only, so a binding with
 *	this engine cannot have TLS 1.3 as its lowest version
 *
 * Whichever runs the handshake, the kernel gets the same keys in DONE.
 */
enum khttps_engine {
	KHTTPS_ENGINE_DEFAULT,
	KHTTPS_ENGINE_OPENSSL,
	KHTTPS_ENGINE_MBEDTLS,

	__KHTTPS_ENGINE_MAX,
};

/**
 * enum khttps_client_cert - client certificates (%KHTTPS_POLICY_A_CLIENT_CERT)
 * @KHTTPS_CLIENT_CERT_OFF: not asked for
 * @KHTTPS_CLIENT_CERT_REQUEST: asked for; a client without one is served,
 *	one that does not verify is refused
 * @KHTTPS_CLIENT_CERT_REQUIRE: a verified client certificate is needed
 */
enum khttps_client_cert {
	KHTTPS_CLIENT_CERT_OFF,
	KHTTPS_CLIENT_CERT_REQUEST,
	KHTTPS_CLIENT_CERT_REQUIRE,

	__KHTTPS_CLIENT_CERT_MAX,
};

/**
 * enum khttps_proxy - a PROXY protocol header to the backend (%KHTTPS_POLICY_A_PROXY)
 * @KHTTPS_PROXY_OFF: none: the backend sees the client's plaintext only
 * @KHTTPS_PROXY_V2: a PROXY protocol version 2 header (haproxy's
 *	proxy-protocol.txt, 2.2) before the first byte: the client's and the
 *	listener's addresses, PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY (the SNI),
 *	PP2_TYPE_SSL (version, cipher, and the client certificate's CN), and
 *	with a verified client certificate the &enum khttps_pp2_type TLVs
 */
enum khttps_proxy {
	KHTTPS_PROXY_OFF = 0,
	KHTTPS_PROXY_V2 = 2,
};

/**
 * enum khttps_pp2_type - khttps's TLVs in a PROXY v2 header (custom range 0xE0-0xEF)
 *
 * Present only when the client sent a certificate that verified.
 * @KHTTPS_PP2_CLIENT_SUBJECT: the client certificate's subject, RFC 2253, UTF-8
 * @KHTTPS_PP2_CLIENT_ISSUER: its issuer, likewise
 * @KHTTPS_PP2_CLIENT_SERIAL: its serial number, upper-case hex
 * @KHTTPS_PP2_CLIENT_SHA256: 32 bytes: SHA-256 of the DER certificate
 */
enum khttps_pp2_type {
	KHTTPS_PP2_CLIENT_SUBJECT = 0xe0,
	KHTTPS_PP2_CLIENT_ISSUER = 0xe1,
	KHTTPS_PP2_CLIENT_SERIAL = 0xe2,
	KHTTPS_PP2_CLIENT_SHA256 = 0xe3,
};

/**
 * enum khttps_client_cert_attr - a verified client certificate (%KHTTPS_A_CLIENT_CERT)
 * @KHTTPS_CLIENT_CERT_A_UNSPEC: never used
 * @KHTTPS_CLIENT_CERT_A_SUBJECT: string, the subject, RFC 2253 (< %KHTTPS_DN_MAX)
 * @KHTTPS_CLIENT_CERT_A_ISSUER: string, the issuer, likewise
 * @KHTTPS_CLIENT_CERT_A_SERIAL: string, the serial number in hex (< %KHTTPS_SERIAL_MAX)
 * @KHTTPS_CLIENT_CERT_A_SHA256: binary, 32 bytes: SHA-256 of the DER certificate
 * @KHTTPS_CLIENT_CERT_A_CN: string, the subject's common name, UTF-8
 *	(< %KHTTPS_DN_MAX), for the PROXY header
 */
enum khttps_client_cert_attr {
	KHTTPS_CLIENT_CERT_A_UNSPEC,
	KHTTPS_CLIENT_CERT_A_SUBJECT,
	KHTTPS_CLIENT_CERT_A_ISSUER,
	KHTTPS_CLIENT_CERT_A_SERIAL,
	KHTTPS_CLIENT_CERT_A_SHA256,
	KHTTPS_CLIENT_CERT_A_CN,

	__KHTTPS_CLIENT_CERT_A_MAX,
	KHTTPS_CLIENT_CERT_A_MAX = __KHTTPS_CLIENT_CERT_A_MAX - 1
};

/**
 * enum khttps_addr_attr - an IP endpoint (nested)
 * @KHTTPS_ADDR_A_UNSPEC: never used
 * @KHTTPS_ADDR_A_IP: binary, 4 bytes (IPv4) or 16 bytes (IPv6), network order;
 *	all zeroes is the wildcard of that family
 * @KHTTPS_ADDR_A_PORT: u16, host order, 1..65535
 */
enum khttps_addr_attr {
	KHTTPS_ADDR_A_UNSPEC,
	KHTTPS_ADDR_A_IP,
	KHTTPS_ADDR_A_PORT,

	__KHTTPS_ADDR_A_MAX,
	KHTTPS_ADDR_A_MAX = __KHTTPS_ADDR_A_MAX - 1
};

/**
 * enum khttps_crypto_attr - one direction's record keys (nested)
 *
 * Lengths must match the cipher: AES-GCM-128 key 16, AES-GCM-256 key 32,
 * both with salt 4 and iv 8; CHACHA20-POLY1305 key 32, iv 12 and no salt.
 * The kernel wipes these bytes once read.
 *
 * @KHTTPS_CRYPTO_A_UNSPEC: never used
 * @KHTTPS_CRYPTO_A_KEY: binary, the traffic key
 * @KHTTPS_CRYPTO_A_IV: binary, for TLS 1.3 GCM the last 8 bytes of the
 *	write IV; for TLS 1.2 GCM the first explicit nonce (the sequence
 *	number); for ChaCha20 the whole 12-byte IV
 * @KHTTPS_CRYPTO_A_SALT: binary, GCM only: the first 4 bytes of the write IV
 *	(TLS 1.3) or the implicit IV (TLS 1.2)
 * @KHTTPS_CRYPTO_A_REC_SEQ: binary, 8 bytes: the next record's sequence
 *	number, big endian
 */
enum khttps_crypto_attr {
	KHTTPS_CRYPTO_A_UNSPEC,
	KHTTPS_CRYPTO_A_KEY,
	KHTTPS_CRYPTO_A_IV,
	KHTTPS_CRYPTO_A_SALT,
	KHTTPS_CRYPTO_A_REC_SEQ,

	__KHTTPS_CRYPTO_A_MAX,
	KHTTPS_CRYPTO_A_MAX = __KHTTPS_CRYPTO_A_MAX - 1
};

/**
 * enum khttps_hs_status - why a handshake failed (%KHTTPS_A_STATUS)
 * @KHTTPS_HS_OK: success, keys follow
 * @KHTTPS_HS_TLS_ERROR: the TLS handshake failed (bad client, no shared cipher...)
 * @KHTTPS_HS_CERT_ERROR: the binding's certificate or key could not be used
 * @KHTTPS_HS_INTERNAL: the daemon failed (out of memory, key export...)
 * @KHTTPS_HS_CLIENT_CLOSED: the client closed or reset the connection
 *	during the handshake
 * @KHTTPS_HS_NO_BINDING: no binding matched the client's SNI; the daemon
 *	sent unrecognized_name
 * @KHTTPS_HS_CLIENT_CERT: the binding wants a client certificate and the
 *	client sent none, or one that did not verify (untrusted, expired,
 *	revoked); the client got the alert TLS defines for it
 */
enum khttps_hs_status {
	KHTTPS_HS_OK,
	KHTTPS_HS_TLS_ERROR,
	KHTTPS_HS_CERT_ERROR,
	KHTTPS_HS_INTERNAL,
	KHTTPS_HS_CLIENT_CLOSED,
	KHTTPS_HS_NO_BINDING,
	KHTTPS_HS_CLIENT_CERT,

	__KHTTPS_HS_MAX,
};

/**
 * enum khttps_stat - counters (%KHTTPS_A_STATS), per binding and per namespace
 * @KHTTPS_STAT_UNSPEC: never used
 * @KHTTPS_STAT_ACCEPTED: TCP connections accepted
 * @KHTTPS_STAT_ACTIVE: connections open now (a gauge)
 * @KHTTPS_STAT_PENDING: connections waiting for or in a handshake now (a gauge)
 * @KHTTPS_STAT_HS_OK: handshakes completed and keys installed
 * @KHTTPS_STAT_HS_FAILED: handshakes the daemon reported failed
 * @KHTTPS_STAT_HS_TIMEOUT: handshakes not done within handshake_timeout_ms
 * @KHTTPS_STAT_REFUSED_PENDING: refused: max_pending_handshakes reached
 * @KHTTPS_STAT_REFUSED_CONNS: refused: max_connections reached
 * @KHTTPS_STAT_WORKER_LOST: handshakes failed because their worker went away
 * @KHTTPS_STAT_INSTALL_FAILED: keys refused or kTLS install failed
 * @KHTTPS_STAT_CLIENT_GONE: the client closed before its keys were installed
 * @KHTTPS_STAT_PAD: padding
 * @KHTTPS_STAT_BYTES_IN: plaintext bytes from clients (decrypted)
 * @KHTTPS_STAT_BYTES_OUT: plaintext bytes to clients (before encryption)
 * @KHTTPS_STAT_CLOSE_NOTIFY_IN: close_notify alerts received
 * @KHTTPS_STAT_CLOSE_NOTIFY_OUT: close_notify alerts sent
 * @KHTTPS_STAT_ALERTS_IN: other alerts received (fatal ones end the connection)
 * @KHTTPS_STAT_ALERTS_OUT: fatal alerts sent
 * @KHTTPS_STAT_BAD_RECORDS: records that failed to decrypt or parse (bad MAC,
 *	oversize, bad header); the connection is closed with an alert
 * @KHTTPS_STAT_KEY_UPDATES: TLS 1.3 KeyUpdates received; kTLS on 6.12 cannot
 *	follow one, so the connection is closed with internal_error
 * @KHTTPS_STAT_RENEGOTIATIONS: TLS 1.2 renegotiation attempts, refused with a
 *	no_renegotiation alert and closed
 * @KHTTPS_STAT_TRUNCATED: clients that closed TCP without close_notify
 * @KHTTPS_STAT_BACKEND_ERRORS: forward mode: backend connect refused, reset
 *	or failed (the client gets an internal_error alert)
 * @KHTTPS_STAT_RESETS: established connections reset by the client
 * @KHTTPS_STAT_QUEUE_FULL: queue mode: connections refused because their
 *	accept queue held its length (default_queue_len) of connections waiting
 *	for the application: at TCP accept, or when their handshake completed
 * @KHTTPS_STAT_QUEUED: queue mode: established connections waiting for an
 *	application's accept now (a gauge)
 * @KHTTPS_STAT_APP_ACCEPTED: queue mode: connections taken by applications
 * @KHTTPS_STAT_RECORDS_IN: TLS records kTLS decrypted (all types; the
 *	handshake's records, which the daemon read, are not counted)
 * @KHTTPS_STAT_RECORDS_OUT: TLS records kTLS encrypted (all types, alerts too)
 * @KHTTPS_STAT_HS_FAILED_TLS: of @KHTTPS_STAT_HS_FAILED: the TLS handshake
 *	failed (no shared version or cipher, a bad message, a client alert)
 * @KHTTPS_STAT_HS_FAILED_CERT: of @KHTTPS_STAT_HS_FAILED: the binding's
 *	certificate or key could not be used (the daemon logs why)
 * @KHTTPS_STAT_HS_FAILED_INTERNAL: of @KHTTPS_STAT_HS_FAILED: the daemon failed
 * @KHTTPS_STAT_HS_FAILED_CLOSED: of @KHTTPS_STAT_HS_FAILED: the client closed
 *	or reset the connection during the handshake
 * @KHTTPS_STAT_UNRECOGNIZED_NAME: of @KHTTPS_STAT_HS_FAILED: no binding for
 *	the client's SNI (or none sent, and no address binding); the client got
 *	an unrecognized_name alert.  Counted only in the namespace's totals
 * @KHTTPS_STAT_HS_FAILED_CLIENT_CERT: of @KHTTPS_STAT_HS_FAILED: a client
 *	certificate was missing or did not verify
 * @KHTTPS_STAT_HS_RESUMED: of @KHTTPS_STAT_HS_OK: abbreviated handshakes
 *	that resumed a session (ticket or session id)
 * @KHTTPS_STAT_SESSIONS_CLEAN: under the close_notify policy: connections
 *	that ended cleanly, leaving their session resumable
 * @KHTTPS_STAT_SESSIONS_UNCLEAN: under the close_notify policy: connections
 *	that ended without a clean close, so their session may not be resumed
 * @KHTTPS_STAT_SESSIONS_REFUSED: resumptions refused under the close_notify
 *	policy (a full handshake instead)
 * @KHTTPS_STAT_IDLE_TIMEOUTS: connections closed after idle_timeout_ms
 *	without plaintext either way (forward mode) or in an accept queue
 *	that no application took them from (queue mode)
 * @KHTTPS_STAT_REFUSED_SOURCE: connections refused at accept because their
 *	source address (an IPv6 client's /64) had max_conns_per_source open
 */
enum khttps_stat {
	KHTTPS_STAT_UNSPEC,
	KHTTPS_STAT_ACCEPTED,
	KHTTPS_STAT_ACTIVE,
	KHTTPS_STAT_PENDING,
	KHTTPS_STAT_HS_OK,
	KHTTPS_STAT_HS_FAILED,
	KHTTPS_STAT_HS_TIMEOUT,
	KHTTPS_STAT_REFUSED_PENDING,
	KHTTPS_STAT_REFUSED_CONNS,
	KHTTPS_STAT_WORKER_LOST,
	KHTTPS_STAT_INSTALL_FAILED,
	KHTTPS_STAT_CLIENT_GONE,
	KHTTPS_STAT_PAD,
	KHTTPS_STAT_BYTES_IN,
	KHTTPS_STAT_BYTES_OUT,
	KHTTPS_STAT_CLOSE_NOTIFY_IN,
	KHTTPS_STAT_CLOSE_NOTIFY_OUT,
	KHTTPS_STAT_ALERTS_IN,
	KHTTPS_STAT_ALERTS_OUT,
	KHTTPS_STAT_BAD_RECORDS,
	KHTTPS_STAT_KEY_UPDATES,
	KHTTPS_STAT_RENEGOTIATIONS,
	KHTTPS_STAT_TRUNCATED,
	KHTTPS_STAT_BACKEND_ERRORS,
	KHTTPS_STAT_RESETS,
	KHTTPS_STAT_QUEUE_FULL,
	KHTTPS_STAT_QUEUED,
	KHTTPS_STAT_APP_ACCEPTED,
	KHTTPS_STAT_RECORDS_IN,
	KHTTPS_STAT_RECORDS_OUT,
	KHTTPS_STAT_HS_FAILED_TLS,
	KHTTPS_STAT_HS_FAILED_CERT,
	KHTTPS_STAT_HS_FAILED_INTERNAL,
	KHTTPS_STAT_HS_FAILED_CLOSED,
	KHTTPS_STAT_UNRECOGNIZED_NAME,
	KHTTPS_STAT_HS_FAILED_CLIENT_CERT,
	KHTTPS_STAT_HS_RESUMED,
	KHTTPS_STAT_SESSIONS_CLEAN,
	KHTTPS_STAT_SESSIONS_UNCLEAN,
	KHTTPS_STAT_SESSIONS_REFUSED,
	KHTTPS_STAT_IDLE_TIMEOUTS,
	KHTTPS_STAT_REFUSED_SOURCE,

	__KHTTPS_STAT_MAX,
	KHTTPS_STAT_MAX = __KHTTPS_STAT_MAX - 1
};

/**
 * enum khttps_cap - what this build of khttps.ko implements
 *
 * A bit is set only when the feature works end to end in the module, so a
 * tool can tell an old module from a new one without guessing.
 *
 * @KHTTPS_CAP_LISTEN: kernel-owned listeners and the handshake upcall
 * @KHTTPS_CAP_TLS12: TLS 1.2 record keys can be installed
 * @KHTTPS_CAP_TLS13: TLS 1.3 record keys can be installed
 * @KHTTPS_CAP_FORWARD: in-kernel relay of plaintext to a backend
 * @KHTTPS_CAP_QUEUE: accept queues on /dev/khttps
 * @KHTTPS_CAP_SNI: host (SNI) and ccs bindings, %KHTTPS_CMD_HS_SELECT
 * @KHTTPS_CAP_EVENTS: the error log, %KHTTPS_CMD_EVENT on %KHTTPS_MCGRP_EVENTS
 * @KHTTPS_CAP_CONNS: the connection list, %KHTTPS_CMD_CONN_GET
 * @KHTTPS_CAP_NOTIFY_PORT: %KHTTPS_A_NOTIFY_PORT: READY to one worker
 */
enum khttps_cap {
	KHTTPS_CAP_LISTEN	= 1U << 0,
	KHTTPS_CAP_TLS12	= 1U << 1,
	KHTTPS_CAP_TLS13	= 1U << 2,
	KHTTPS_CAP_FORWARD	= 1U << 3,
	KHTTPS_CAP_QUEUE	= 1U << 4,
	KHTTPS_CAP_SNI		= 1U << 5,
	KHTTPS_CAP_EVENTS	= 1U << 6,
	KHTTPS_CAP_CONNS	= 1U << 7,
	KHTTPS_CAP_NOTIFY_PORT	= 1U << 8,
};

/**
 * enum khttps_conn_phase - where a connection is (%KHTTPS_A_PHASE)
 * @KHTTPS_PHASE_WAITING: accepted, waiting for a khttpsd worker
 * @KHTTPS_PHASE_HANDSHAKE: a worker does its handshake
 * @KHTTPS_PHASE_RELAY: forward mode: established, relayed to the backend
 * @KHTTPS_PHASE_QUEUED: queue mode: established, waiting for an application
 * @KHTTPS_PHASE_APP: queue mode: an application has it
 * @KHTTPS_PHASE_CLOSING: our close_notify is out, the last records drain
 * @KHTTPS_PHASE_HELLO: accepted, its ClientHello's first record not all in
 *	yet (no worker holds it)
 */
enum khttps_conn_phase {
	KHTTPS_PHASE_WAITING,
	KHTTPS_PHASE_HANDSHAKE,
	KHTTPS_PHASE_RELAY,
	KHTTPS_PHASE_QUEUED,
	KHTTPS_PHASE_APP,
	KHTTPS_PHASE_CLOSING,
	KHTTPS_PHASE_HELLO,
};

/*
 * Queue mode: the character device /dev/khttps.
 *
 * open("/dev/khttps") gives a handle in the opener's network namespace.
 * KHTTPS_IOC_ATTACH ties it to one accept queue of that namespace, named by
 * a binding; allowed with CAP_NET_ADMIN over the namespace, or for the
 * queue's user or group (KHTTPS_A_QUEUE_UID/GID).  ENOENT: no binding names
 * that queue; EACCES: not allowed; EBUSY: this handle is attached already.
 *
 * The handle is readable (poll, epoll) while a connection waits.
 * KHTTPS_IOC_ACCEPT takes the oldest one: it blocks unless the handle is
 * O_NONBLOCK (then EAGAIN).  The connection arrives as a socket fd in
 * plaintext: read, write, recv, send, sendfile, splice and poll work on
 * it while kTLS does the records, and:
 *   - the client's close_notify reads as EOF (0), not as kTLS's EIO;
 *   - shutdown(SHUT_WR) and the last close send close_notify; close waits
 *     (at most 10 s) until kTLS has handed its last records to TCP;
 *   - a bad record, fatal alert, KeyUpdate or renegotiation from the client
 *     gets the proper alert from the kernel, and the read fails
 *     (ECONNRESET for the client's fatal alert, ECONNABORTED otherwise);
 *   - getsockopt and setsockopt of SOL_TLS TLS_TX/TLS_RX fail with EPERM:
 *     the record keys stay in the kernel.
 * A recvmsg() with a control buffer sees kTLS unchanged (every record type
 * as a TLS_GET_RECORD_TYPE control message), for applications that want
 * the records themselves.
 */
#define KHTTPS_DEV_NAME		"khttps"
#define KHTTPS_SNI_MAX		256	/* RFC 6066: a host name is at most 255 bytes */
#define KHTTPS_ALPN_MAX		256	/* RFC 7301: a protocol name is at most 255 bytes */
#define KHTTPS_DN_MAX		256	/* a certificate's subject or issuer, RFC 2253 */
#define KHTTPS_SERIAL_MAX	48	/* a serial number in hex: at most 20 bytes, RFC 5280 */
#define KHTTPS_SESSION_TOKEN_LEN 16	/* %KHTTPS_A_SESSION_TOKEN */

/* struct khttps_conn_info flags */
#define KHTTPS_CONN_CLIENT_CERT	0x1	/* the client_* fields hold a verified client certificate */

/**
 * struct khttps_attach - argument of %KHTTPS_IOC_ATTACH
 * @name: the queue, NUL-terminated
 * @flags: must be 0
 */
struct khttps_attach {
	char name[KHTTPS_QUEUE_NAME_MAX];
	__u32 flags;
};

/**
 * struct khttps_conn_info - what is known of an accepted connection
 * @conn_id: its id, as in khttpsctl's listings
 * @tls_version: TLS_1_2_VERSION or TLS_1_3_VERSION (linux/tls.h)
 * @cipher: TLS_CIPHER_* (linux/tls.h)
 * @peer: the client's address (struct sockaddr_in or sockaddr_in6)
 * @local: the address the client connected to
 * @flags: %KHTTPS_CONN_CLIENT_CERT
 * @sni: the server name the client asked for, or ""
 * @alpn: the negotiated application protocol, or ""
 * @client_subject: with %KHTTPS_CONN_CLIENT_CERT: the verified client
 *	certificate's subject (RFC 2253), possibly cut short
 * @client_issuer: its issuer, likewise
 * @client_serial: its serial number, hex
 * @client_sha256: SHA-256 of the DER certificate
 */
struct khttps_conn_info {
	__u64 conn_id;
	__u16 tls_version;
	__u16 cipher;
	__u32 flags;
	struct __kernel_sockaddr_storage peer;
	struct __kernel_sockaddr_storage local;
	char sni[KHTTPS_SNI_MAX];
	char alpn[KHTTPS_ALPN_MAX];
	char client_subject[KHTTPS_DN_MAX];
	char client_issuer[KHTTPS_DN_MAX];
	char client_serial[KHTTPS_SERIAL_MAX];
	__u8 client_sha256[32];
};

/**
 * struct khttps_accept - argument of %KHTTPS_IOC_ACCEPT
 * @flags: in: SOCK_CLOEXEC and/or SOCK_NONBLOCK for the new fd, as accept4()
 * @fd: out: the connection's socket
 * @info: out: what is known of it
 */
struct khttps_accept {
	__u32 flags;
	__s32 fd;
	struct khttps_conn_info info;
};

#define KHTTPS_IOC_MAGIC	0xb7
#define KHTTPS_IOC_ATTACH	_IOW(KHTTPS_IOC_MAGIC, 1, struct khttps_attach)
#define KHTTPS_IOC_ACCEPT	_IOWR(KHTTPS_IOC_MAGIC, 2, struct khttps_accept)

#endif /* _UAPI_LINUX_KHTTPS_H */
