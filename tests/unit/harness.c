// SPDX-License-Identifier: GPL-2.0
/* The test harness tells passes, failures, crashes, hangs and skips apart. */
#include <stdio.h>
#include "../harness.h"

static char out[16384];

static int run_sample(void)
{
	FILE *p = popen("build/tests/unit-fixtures/harness_sample 2>&1", "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	return pclose(p);
}

FIXTURE(sample) { int status; };
FIXTURE_SETUP(sample)
{
	(void)variant;
	self->status = run_sample();
	ASSERT_NE(self->status, -1);
}
FIXTURE_TEARDOWN(sample) { (void)self; (void)variant; }

TEST_F(sample, plan_and_totals)
{
	EXPECT_TRUE(strstr(out, "TAP version 13\n1..8\n") != NULL);
	EXPECT_TRUE(strstr(out, "# Totals: pass:2 fail:5 skip:1") != NULL);
	EXPECT_NE(self->status, 0);
}

TEST_F(sample, each_outcome)
{
	EXPECT_TRUE(strstr(out, "ok 1 passes\n") != NULL);
	EXPECT_TRUE(strstr(out, "not ok 2 assert_fails\n") != NULL);
	EXPECT_TRUE(strstr(out, "not reached") == NULL);
	EXPECT_TRUE(strstr(out, "after-expect") != NULL);
	EXPECT_TRUE(strstr(out, "not ok 3 expect_fails_and_goes_on\n") != NULL);
	EXPECT_TRUE(strstr(out, "crashes: killed by signal 11") != NULL);
	EXPECT_TRUE(strstr(out, "hangs: timed out after 1 s") != NULL);
	EXPECT_TRUE(strstr(out, "ok 6 skips # SKIP no widget here\n") != NULL);
}

TEST_F(sample, variants_and_teardown)
{
	char *a = strstr(out, "ok 7 fx.one.value_matches\n");
	char *b = strstr(out, "not ok 8 fx.two.value_matches\n");
	char *t;
	int teardowns = 0;

	EXPECT_TRUE(a != NULL);
	EXPECT_TRUE(b != NULL);
	/* Teardown runs after a passing test and after a failed ASSERT. */
	for (t = out; (t = strstr(t, "teardown-ran")); t++)
		teardowns++;
	EXPECT_EQ(teardowns, 2);
}

TEST_HARNESS_MAIN
