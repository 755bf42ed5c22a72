// SPDX-License-Identifier: GPL-2.0
/* libkhttps: version calls, names, addresses, argument checks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tls.h>

#include "../harness.h"
#include "libkhttps.h"

TEST(lib_version) { ASSERT_STREQ(khttps_lib_version(), KHTTPS_VERSION); }

TEST(module_version_reports_absence_or_version)
{
	char buf[64];
	int err = khttps_module_version(buf, sizeof(buf));

	if (err == -ENOENT)
		SKIP(return, "khttps.ko is not loaded on this host");
	ASSERT_EQ(err, 0);
	ASSERT_STREQ(buf, KHTTPS_VERSION);
	ASSERT_EQ(khttps_module_version(buf, 2), -ENOSPC);
}

TEST(version_and_cipher_names)
{
	EXPECT_STREQ(khttps_tls_version_name(TLS_1_2_VERSION), "TLSv1.2");
	EXPECT_STREQ(khttps_tls_version_name(TLS_1_3_VERSION), "TLSv1.3");
	EXPECT_STREQ(khttps_tls_version_name(0x0301), "unknown");
	EXPECT_STREQ(khttps_cipher_name(TLS_1_3_VERSION, TLS_CIPHER_AES_GCM_128),
		     "TLS_AES_128_GCM_SHA256");
	EXPECT_STREQ(khttps_cipher_name(TLS_1_3_VERSION, TLS_CIPHER_CHACHA20_POLY1305),
		     "TLS_CHACHA20_POLY1305_SHA256");
	EXPECT_STREQ(khttps_cipher_name(TLS_1_2_VERSION, TLS_CIPHER_AES_GCM_256),
		     "AES256-GCM-SHA384");
	EXPECT_STREQ(khttps_cipher_name(TLS_1_2_VERSION, 9999), "unknown");
}

TEST(addr_string)
{
	struct __kernel_sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (void *)&ss;
	struct sockaddr_in6 *in6 = (void *)&ss;
	char buf[64];

	in->sin_family = AF_INET;
	in->sin_port = htons(8443);
	inet_pton(AF_INET, "10.1.2.3", &in->sin_addr);
	ASSERT_EQ(khttps_addr_string(&ss, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "10.1.2.3:8443");
	EXPECT_EQ(khttps_addr_string(&ss, buf, 5), -ENOSPC);
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &in6->sin6_addr);
	ASSERT_EQ(khttps_addr_string(&ss, buf, sizeof(buf)), 0);
	EXPECT_STREQ(buf, "[2001:db8::1]:443");
	ss.ss_family = AF_UNIX;
	EXPECT_EQ(khttps_addr_string(&ss, buf, sizeof(buf)), -EAFNOSUPPORT);
}

TEST(queue_open_checks_its_arguments)
{
	struct khttps_queue *q = NULL;

	EXPECT_EQ(khttps_queue_open("www", 0x100, &q), -EINVAL);
	EXPECT_EQ(khttps_queue_open(NULL, 0, &q), -EINVAL);
	EXPECT_EQ(khttps_queue_open("a-name-longer-than-thirty-one-bytes", 0, &q), -EINVAL);
	EXPECT_TRUE(q == NULL);
	if (access("/dev/khttps", F_OK))
		EXPECT_EQ(khttps_queue_open("www", 0, &q), -ENOENT);
	khttps_queue_close(NULL);
}

TEST_HARNESS_MAIN
