// SPDX-License-Identifier: GPL-2.0
/* libkhttps version calls. */
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

TEST_HARNESS_MAIN
