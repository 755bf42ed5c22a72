// SPDX-License-Identifier: GPL-2.0
/* khttpsd's certificate cache (certcache.c): hits, evictions, files replaced on disk, flush. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "../harness.h"
#include "khttpsd.h"

/* The engine's side, faked: a credential set is a number; builds and frees are counted. */
static int builds, frees;

static void *fake_build(const struct kd_config *cfg, const char *const path[KD_FILES],
			uint8_t client_cert)
{
	int *c = malloc(sizeof(*c));

	(void)cfg;
	(void)path;
	(void)client_cert;
	if (c)
		*c = ++builds;
	return c;
}

static void fake_free(void *creds)
{
	frees++;
	free(creds);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

FIXTURE(cc) {
	char dir[64];
	struct kd_config cfg;
	struct kd_certcache cc;
	struct kd_binding b;
	char cert[128], key[128];	/* b's paths */
};

FIXTURE_SETUP(cc)
{
	char path[128];
	int i;

	(void)variant;
	snprintf(self->dir, sizeof(self->dir), "/tmp/khttps-certcache.XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL);
	/* 40 certificates, one key: more than the cache holds (16). */
	for (i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "%s/c%d.pem", self->dir, i);
		ASSERT_EQ(write_file(path, "cert", 0644), 0);
	}
	snprintf(path, sizeof(path), "%s/key.pem", self->dir);
	ASSERT_EQ(write_file(path, "key", 0600), 0);
	memset(&self->cfg, 0, sizeof(self->cfg));
	self->cfg.trust[0] = self->dir;
	self->cfg.ntrust = 1;
	self->cfg.cache = 16;
	memset(&self->cc, 0, sizeof(self->cc));
	self->cc.build = fake_build;
	self->cc.free = fake_free;
	memset(&self->b, 0, sizeof(self->b));
	snprintf(self->key, sizeof(self->key), "%s/key.pem", self->dir);
	self->b.cert = self->cert;
	self->b.key = self->key;
	builds = frees = 0;
	kd_log_init(true, false);
}

FIXTURE_TEARDOWN(cc)
{
	char cmd[128];

	(void)variant;
	kd_certcache_flush(&self->cc);
	free(self->cc.entry);
	free(self->cc.bucket);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/* The credential set for certificate @i, or NULL. */
static int *get(struct th_fixture_cc *self, int i)
{
	snprintf(self->cert, sizeof(self->cert), "%s/c%d.pem", self->dir, i);
	return kd_certcache_get(&self->cc, &self->cfg, &self->b);
}

TEST_F(cc, a_hit_builds_nothing)
{
	int *a = get(self, 0), *b;

	ASSERT_TRUE(a != NULL);
	b = get(self, 0);
	EXPECT_TRUE(a == b);
	EXPECT_EQ(builds, 1);
	/* Another client-certificate mode is another entry. */
	self->b.client_cert = 1;
	b = get(self, 0);
	ASSERT_TRUE(b != NULL);
	EXPECT_TRUE(a != b);
	EXPECT_EQ(builds, 2);
}

TEST_F(cc, the_oldest_makes_room)
{
	int i, *c;

	for (i = 0; i < 40; i++)
		ASSERT_TRUE(get(self, i) != NULL);
	EXPECT_EQ(builds, 40);
	EXPECT_EQ(frees, 24);
	/* The last 16 are all still there, each found. */
	for (i = 24; i < 40; i++) {
		c = get(self, i);
		ASSERT_TRUE(c != NULL);
		EXPECT_EQ(*c, i + 1);
	}
	EXPECT_EQ(builds, 40);
	/* An evicted one is built again, in place of the oldest (24). */
	c = get(self, 3);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(*c, 41);
	EXPECT_EQ(frees, 25);
	c = get(self, 24);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(*c, 42);
	c = get(self, 39);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(*c, 40);
}

TEST_F(cc, a_replaced_file_is_loaded_again)
{
	char path[128];
	int *c;

	ASSERT_TRUE(get(self, 5) != NULL);
	snprintf(path, sizeof(path), "%s/c5.pem", self->dir);
	ASSERT_EQ(write_file(path, "another cert", 0644), 0);
	c = get(self, 5);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(*c, 2);
	EXPECT_EQ(frees, 1);
	c = get(self, 5);
	EXPECT_EQ(*c, 2);
	EXPECT_EQ(builds, 2);
}

TEST_F(cc, flush_frees_all_and_starts_over)
{
	int i, *c;

	for (i = 0; i < 10; i++)
		ASSERT_TRUE(get(self, i) != NULL);
	kd_certcache_flush(&self->cc);
	EXPECT_EQ(frees, 10);
	c = get(self, 0);
	ASSERT_TRUE(c != NULL);
	EXPECT_EQ(*c, 11);
	c = get(self, 0);
	EXPECT_EQ(*c, 11);
}

TEST_F(cc, refused_files)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/key.pem", self->dir);
	ASSERT_EQ(chmod(path, 0640), 0);
	EXPECT_TRUE(get(self, 0) == NULL);
	ASSERT_EQ(chmod(path, 0600), 0);
	self->cfg.trust[0] = "/nonexistent";
	EXPECT_TRUE(get(self, 0) == NULL);
	EXPECT_TRUE(get(self, 99) == NULL);	/* no such file */
	EXPECT_EQ(builds, 0);
}

TEST_HARNESS_MAIN
