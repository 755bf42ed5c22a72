/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small kselftest-style test harness, written for khttps.
 *
 *   TEST(name) { ... }                       a plain test
 *   FIXTURE(f) { fields };                   per-test state ("self")
 *   FIXTURE_SETUP(f) { ... }                 runs before each TEST_F of f
 *   FIXTURE_TEARDOWN(f) { ... }              runs after, also after a failed ASSERT
 *   FIXTURE_VARIANT(f) { fields };           optional: run every TEST_F once per
 *   FIXTURE_VARIANT_ADD(f, name) { ... };    variant, seen as "variant"
 *   TEST_F(f, name) { ... }                  a test using self (and variant)
 *   TEST_F_TIMEOUT(f, name, secs)            the same with its own time limit
 *   ASSERT_*(a, b) stop the test on failure; EXPECT_*(a, b) record and go on
 *   SKIP(statement, fmt, ...)                 mark skipped with a reason, then run
 *                                             statement (return, goto ...)
 *   TH_LOG(fmt, ...)                         a diagnostic line
 *   TEST_HARNESS_MAIN                        main(): runs all, prints TAP 13
 *
 * Each test runs in its own forked process group with a time limit
 * (default 60 s, TH_TIMEOUT_SCALE in the environment multiplies it), so a
 * crash or a hang fails that test only.  "prog -t SUBSTRING" runs matching
 * tests; "prog -l" lists them.  Exit status: 0 when nothing failed.
 */
#ifndef KHTTPS_TEST_HARNESS_H
#define KHTTPS_TEST_HARNESS_H

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define TH_DEFAULT_TIMEOUT 60
#define TH_UNUSED __attribute__((unused))

struct th_meta {
	const char *name;
	bool failed;
	bool skipped;
	bool setup_done;
	char reason[256];
	jmp_buf env;
};

struct th_variant {
	const char *name;
	const void *data;
	struct th_variant *next;
};

struct th_test {
	const char *fixture;
	const char *name;
	int timeout;
	void (*run)(struct th_meta *m, const void *variant);
	struct th_variant **variants;
	struct th_test *next;
};

static struct th_test *th_tests, **th_tests_tail = &th_tests;

static inline void th_register(struct th_test *t)
{
	*th_tests_tail = t;
	th_tests_tail = &t->next;
}

static inline void th_register_variant(struct th_variant **head, struct th_variant *v)
{
	while (*head)
		head = &(*head)->next;
	*head = v;
}

#define TH_LOG(fmt, ...) \
	fprintf(stderr, "# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__)

/* Ends the current test: its teardown still runs. */
#define th_abort(m) longjmp((m)->env, 1)

#define SKIP(statement, fmt, ...) do {						\
		_metadata->skipped = true;					\
		snprintf(_metadata->reason, sizeof(_metadata->reason),		\
			 fmt, ##__VA_ARGS__);					\
		statement;							\
	} while (0)

#define TH_CMP(fatal, a, op, b) do {						\
		__typeof__(a) _a = (a);						\
		__typeof__(b) _b = (b);						\
		if (!(_a op _b)) {						\
			fprintf(stderr, "# %s:%d: expected %s " #op " %s"	\
				" (%lld " #op " %lld)\n", __FILE__, __LINE__,	\
				#a, #b, (long long)_a, (long long)_b);		\
			_metadata->failed = true;				\
			if (fatal)						\
				th_abort(_metadata);				\
		}							\
	} while (0)

#define TH_STRCMP(fatal, a, op, b) do {						\
		const char *_a = (a), *_b = (b);				\
		if (!(_a && _b && strcmp(_a, _b) op 0)) {			\
			fprintf(stderr, "# %s:%d: expected %s " #op " %s"	\
				" (\"%s\" vs \"%s\")\n", __FILE__, __LINE__,	\
				#a, #b, _a ? _a : "(null)", _b ? _b : "(null)");\
			_metadata->failed = true;				\
			if (fatal)						\
				th_abort(_metadata);				\
		}							\
	} while (0)

#define TH_BOOL(fatal, a, want) do {					\
		if ((!!(a)) != (want)) {					\
			fprintf(stderr, "# %s:%d: expected %s to be %s\n",	\
				__FILE__, __LINE__, #a, (want) ? "true" : "false");\
			_metadata->failed = true;				\
			if (fatal)						\
				th_abort(_metadata);				\
		}							\
	} while (0)

#define ASSERT_EQ(a, b) TH_CMP(1, a, ==, b)
#define ASSERT_NE(a, b) TH_CMP(1, a, !=, b)
#define ASSERT_LT(a, b) TH_CMP(1, a, <, b)
#define ASSERT_LE(a, b) TH_CMP(1, a, <=, b)
#define ASSERT_GT(a, b) TH_CMP(1, a, >, b)
#define ASSERT_GE(a, b) TH_CMP(1, a, >=, b)
#define ASSERT_TRUE(a) TH_BOOL(1, a, 1)
#define ASSERT_FALSE(a) TH_BOOL(1, a, 0)
#define ASSERT_STREQ(a, b) TH_STRCMP(1, a, ==, b)
#define ASSERT_STRNE(a, b) TH_STRCMP(1, a, !=, b)
#define EXPECT_EQ(a, b) TH_CMP(0, a, ==, b)
#define EXPECT_NE(a, b) TH_CMP(0, a, !=, b)
#define EXPECT_LT(a, b) TH_CMP(0, a, <, b)
#define EXPECT_LE(a, b) TH_CMP(0, a, <=, b)
#define EXPECT_GT(a, b) TH_CMP(0, a, >, b)
#define EXPECT_GE(a, b) TH_CMP(0, a, >=, b)
#define EXPECT_TRUE(a) TH_BOOL(0, a, 1)
#define EXPECT_FALSE(a) TH_BOOL(0, a, 0)
#define EXPECT_STREQ(a, b) TH_STRCMP(0, a, ==, b)
#define EXPECT_STRNE(a, b) TH_STRCMP(0, a, !=, b)

/* --- plain tests ------------------------------------------------------- */

#define TEST(test_name) TEST_TIMEOUT(test_name, TH_DEFAULT_TIMEOUT)
#define TEST_TIMEOUT(test_name, secs)						\
	static void th_body_##test_name(TH_UNUSED struct th_meta *_metadata);		\
	static void th_run_##test_name(struct th_meta *m, const void *v)	\
	{									\
		(void)v;							\
		if (!setjmp(m->env))						\
			th_body_##test_name(m);					\
	}									\
	static struct th_test th_test_##test_name = {				\
		.name = #test_name, .timeout = (secs),				\
		.run = th_run_##test_name,					\
	};									\
	__attribute__((constructor)) static void th_reg_##test_name(void)	\
	{									\
		th_register(&th_test_##test_name);				\
	}									\
	static void th_body_##test_name(TH_UNUSED struct th_meta *_metadata)

/* --- fixtures ---------------------------------------------------------- */

#define FIXTURE(f)								\
	FIXTURE_VARIANT(f);							\
	static struct th_variant *th_variants_##f;				\
	struct th_fixture_##f

#define FIXTURE_VARIANT(f) struct th_variant_##f

#define FIXTURE_VARIANT_ADD(f, vname)						\
	static const struct th_variant_##f th_vdata_##f##_##vname;		\
	static struct th_variant th_v_##f##_##vname = {				\
		.name = #vname, .data = &th_vdata_##f##_##vname,		\
	};									\
	__attribute__((constructor)) static void th_vreg_##f##_##vname(void)	\
	{									\
		th_register_variant(&th_variants_##f, &th_v_##f##_##vname);	\
	}									\
	static const struct th_variant_##f th_vdata_##f##_##vname =

#define FIXTURE_SETUP(f)							\
	static void th_setup_##f(TH_UNUSED struct th_meta *_metadata,	\
				 TH_UNUSED struct th_fixture_##f *self,	\
				 TH_UNUSED const struct th_variant_##f *variant)

#define FIXTURE_TEARDOWN(f)							\
	static void th_teardown_##f(TH_UNUSED struct th_meta *_metadata,	\
				    TH_UNUSED struct th_fixture_##f *self,	\
				    TH_UNUSED const struct th_variant_##f *variant)

#define TEST_F(f, test_name) TEST_F_TIMEOUT(f, test_name, TH_DEFAULT_TIMEOUT)
#define TEST_F_TIMEOUT(f, test_name, secs)					\
	static void th_body_##f##_##test_name(TH_UNUSED struct th_meta *_metadata, \
		TH_UNUSED struct th_fixture_##f *self,				\
		TH_UNUSED const struct th_variant_##f *variant);				\
	static void th_run_##f##_##test_name(struct th_meta *m, const void *v)	\
	{									\
		struct th_fixture_##f self;					\
		const struct th_variant_##f *variant = v;			\
		memset(&self, 0, sizeof(self));					\
		if (!setjmp(m->env)) {						\
			th_setup_##f(m, &self, variant);			\
			m->setup_done = true;					\
			if (!m->skipped)					\
				th_body_##f##_##test_name(m, &self, variant);	\
		}								\
		if (m->setup_done && !setjmp(m->env))				\
			th_teardown_##f(m, &self, variant);			\
	}									\
	static struct th_test th_test_##f##_##test_name = {			\
		.fixture = #f, .name = #test_name, .timeout = (secs),		\
		.run = th_run_##f##_##test_name,				\
		.variants = &th_variants_##f,					\
	};									\
	__attribute__((constructor)) static void th_reg_##f##_##test_name(void)	\
	{									\
		th_register(&th_test_##f##_##test_name);			\
	}									\
	static void th_body_##f##_##test_name(TH_UNUSED struct th_meta *_metadata, \
		TH_UNUSED struct th_fixture_##f *self,				\
		TH_UNUSED const struct th_variant_##f *variant)

/* --- running ----------------------------------------------------------- */

enum th_result { TH_PASS, TH_FAIL, TH_SKIP };

static inline enum th_result th_run_one(const struct th_test *t, const void *variant,
					const char *full, char *reason, size_t rlen)
{
	struct th_meta *m;
	enum th_result r;
	int status = 0, pidfd, scale = 1;
	const char *env = getenv("TH_TIMEOUT_SCALE");
	struct pollfd pfd;
	pid_t pid;

	if (env && atoi(env) > 0)
		scale = atoi(env);
	/* Shared with the child, which reports skip reasons through it. */
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		snprintf(reason, rlen, "mmap: %s", strerror(errno));
		return TH_FAIL;
	}
	memset(m, 0, sizeof(*m));
	m->name = full;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(reason, rlen, "fork: %s", strerror(errno));
		munmap(m, sizeof(*m));
		return TH_FAIL;
	}
	if (pid == 0) {
		setpgid(0, 0);
		t->run(m, variant);
		fflush(stdout);
		fflush(stderr);
		_exit(m->failed ? 1 : 0);
	}
	setpgid(pid, pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	reason[0] = '\0';
	if (pidfd >= 0 && poll(&pfd, 1, t->timeout * scale * 1000) == 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(reason, rlen, "timed out after %d s", t->timeout * scale);
		r = TH_FAIL;
	} else {
		waitpid(pid, &status, 0);
		kill(-pid, SIGKILL);	/* leftovers of the test's own children */
		if (WIFSIGNALED(status)) {
			snprintf(reason, rlen, "killed by signal %d (%s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
			r = TH_FAIL;
		} else if (m->failed || WEXITSTATUS(status)) {
			r = TH_FAIL;
		} else if (m->skipped) {
			snprintf(reason, rlen, "%s", m->reason);
			r = TH_SKIP;
		} else {
			r = TH_PASS;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	munmap(m, sizeof(*m));
	return r;
}

static inline int th_main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0, n = 0, planned = 0, opt;
	const char *filter = NULL;
	bool list = false;
	struct th_test *t;
	struct th_variant none = { .name = NULL }, *v;
	char full[256], reason[256];

	while ((opt = getopt(argc, argv, "t:l")) != -1) {
		if (opt == 't')
			filter = optarg;
		else if (opt == 'l')
			list = true;
		else {
			fprintf(stderr, "usage: %s [-l] [-t SUBSTRING]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Count first: TAP wants the plan before the results. */
	for (int pass_no = 0; pass_no < 2; pass_no++) {
		if (pass_no == 1 && !list)
			printf("TAP version 13\n1..%d\n", planned);
		for (t = th_tests; t; t = t->next) {
			for (v = t->variants && *t->variants ? *t->variants : &none; v;
			     v = v->next) {
				if (v->name)
					snprintf(full, sizeof(full), "%s.%s.%s", t->fixture,
						 v->name, t->name);
				else if (t->fixture)
					snprintf(full, sizeof(full), "%s.%s", t->fixture, t->name);
				else
					snprintf(full, sizeof(full), "%s", t->name);
				if (filter && !strstr(full, filter))
					continue;
				if (pass_no == 0) {
					planned++;
					continue;
				}
				if (list) {
					printf("%s\n", full);
					continue;
				}
				printf("# RUN %s\n", full);
				switch (th_run_one(t, v->data, full, reason, sizeof(reason))) {
				case TH_PASS:
					pass++;
					printf("ok %d %s\n", ++n, full);
					break;
				case TH_SKIP:
					skip++;
					printf("ok %d %s # SKIP %s\n", ++n, full, reason);
					break;
				case TH_FAIL:
					fail++;
					if (reason[0])
						printf("# %s: %s\n", full, reason);
					printf("not ok %d %s\n", ++n, full);
					break;
				}
			}
		}
		if (list && pass_no == 1)
			return 0;
	}
	printf("# Totals: pass:%d fail:%d skip:%d\n", pass, fail, skip);
	return fail ? 1 : 0;
}

#define TEST_HARNESS_MAIN							\
	int main(int argc, char **argv) { return th_main(argc, argv); }

#endif /* KHTTPS_TEST_HARNESS_H */
