// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl apply FILE | save: the kernel's bindings as a config file
 * (khttps.conf(5)).
 *
 *   # comment
 *   binding www.example.test:443
 *           cert /etc/khttps/www.pem
 *           key /etc/khttps/www.key
 *           backend 127.0.0.1:8080
 *           tls 1.3
 *   binding 192.0.2.1:443 cert /etc/a.pem key /etc/a.key queue app
 *
 * A stanza starts at a line whose first word is "binding"; the words of
 * binding add follow, on that line or the next ones, each word with its
 * value on one line.  Values with blanks, '#', quotes or backslashes are
 * written in double quotes, where \" \\ \n \r stand for " \ newline and
 * carriage return.
 *
 * apply reads and checks the whole file before it asks the kernel for
 * anything: a file with an error changes nothing.  Then it deletes the
 * bindings the file does not have, changes the ones that differ (binding
 * set: one atomic step each, established connections untouched), replaces
 * those whose mode or queue differ (delete and add), and adds the new
 * ones.  A step the kernel refuses undoes the steps before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "nl.h"

/* The file's words, each with its line; lines whose first word is "binding" start stanzas. */
struct conf_words {
	char **word;
	int *line;
	bool *first;	/* first word on its line */
	int n, cap;
};

static int conf_push(struct conf_words *c, const char *s, size_t len, int line, bool first)
{
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 64;
		char **w = realloc(c->word, sizeof(*w) * (size_t)cap);
		int *l = w ? realloc(c->line, sizeof(*l) * (size_t)cap) : NULL;
		bool *f = l ? realloc(c->first, sizeof(*f) * (size_t)cap) : NULL;

		if (w)
			c->word = w;
		if (l)
			c->line = l;
		if (!f)
			return -1;
		c->first = f;
		c->cap = cap;
	}
	c->word[c->n] = strndup(s, len);
	if (!c->word[c->n])
		return -1;
	c->line[c->n] = line;
	c->first[c->n] = first;
	c->n++;
	return 0;
}

static void conf_free(struct conf_words *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->word[i]);
	free(c->word);
	free(c->line);
	free(c->first);
}

/* Forget the words after the first @n (a line that could not be read). */
static void conf_truncate(struct conf_words *c, int n)
{
	while (c->n > n)
		free(c->word[--c->n]);
}

/* One line into words; Return: 0, or -1 after a message (and none of the line's words). */
static int conf_split(struct conf_words *c, const char *s, int line)
{
	bool first = true;
	int n0 = c->n;
	char *buf, *o;

	buf = malloc(strlen(s) + 1);
	if (!buf)
		return -1;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || *s == '#')
			break;
		o = buf;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) {
					s++;
				} else if (*s == '\\' && (s[1] == 'n' || s[1] == 'r')) {
					*o++ = *++s == 'n' ? '\n' : '\r';
					continue;
				}
				*o++ = *s;
			}
			if (*s != '"') {
				ctl_err(line, "a quoted value has no closing '\"'");
				conf_truncate(c, n0);
				free(buf);
				return -1;
			}
			s++;
			if (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n' && *s != '#') {
				ctl_err(line, "a blank must follow a quoted value");
				conf_truncate(c, n0);
				free(buf);
				return -1;
			}
		} else {
			while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
				if (*s == '"') {
					ctl_err(line, "a '\"' inside a word: quote the whole value");
					conf_truncate(c, n0);
					free(buf);
					return -1;
				}
				*o++ = *s++;
			}
		}
		if (conf_push(c, buf, (size_t)(o - buf), line, first)) {
			ctl_err(line, "out of memory");
			conf_truncate(c, n0);
			free(buf);
			return -1;
		}
		first = false;
	}
	free(buf);
	return 0;
}

static int conf_read_words(const char *path, struct conf_words *c)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	char *text = NULL;
	int line = 0, err = 0;
	ssize_t len;

	if (!f) {
		ctl_err(0, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}

	while ((len = getline(&text, &cap, f)) >= 0) {
		line++;
		if (strlen(text) != (size_t)len) {
			ctl_err(line, "a NUL byte in the line");
			err = -1;
			continue;
		}
		if (conf_split(c, text, line))
			err = -1;
	}
	if (ferror(f)) {
		ctl_err(0, "cannot read %s: %s", path, strerror(errno));
		err = -1;
	}
	free(text);
	fclose(f);
	return err;
}

/* All bindings of a file or of the kernel. */
struct bind_set {
	struct ctl_bind **b;
	int n;
};

static int set_push(struct bind_set *s, struct ctl_bind *b)
{
	struct ctl_bind **nb = realloc(s->b, sizeof(*nb) * (size_t)(s->n + 1));

	if (!nb)
		return -1;
	s->b = nb;
	s->b[s->n++] = b;
	return 0;
}

static void set_free(struct bind_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->b[i]);
	free(s->b);
	s->b = NULL;
	s->n = 0;
}

static struct ctl_bind *set_find(const struct bind_set *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->b[i]->name, name))
			return s->b[i];
	return NULL;
}

/**
 * conf_read() - every binding a config file names, checked
 * @path: the file
 * @out: the bindings, in file order
 *
 * Every error is reported, with its line, not just the first.
 *
 * Return: 0, or -1 when the file has an error (@out is then empty).
 */
static int conf_read(const char *path, struct bind_set *out)
{
	struct conf_words c = { 0 };
	struct ctl_bind *b, *dup;
	struct ctl_words w;
	char *dir, *slash;
	int i, j, cwd, err = 0;

	if (conf_read_words(path, &c))
		err = -1;
	/* Relative paths in the file are relative to the file's directory. */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		slash[slash == dir] = '\0';
	if (cwd < 0 || !dir || (slash && chdir(dir))) {
		ctl_err(0, "cannot enter the directory of %s: %s", path, strerror(errno));
		err = -1;
		conf_truncate(&c, 0);
	}
	for (i = 0; i < c.n; i = j) {
		if (strcmp(c.word[i], "binding")) {
			ctl_err(c.line[i], "expected \"binding NAME\", found '%s'", c.word[i]);
			err = -1;
			for (j = i + 1; j < c.n && !(c.first[j] && !strcmp(c.word[j], "binding")); j++)
				;
			continue;
		}
		for (j = i + 1; j < c.n && !(c.first[j] && !strcmp(c.word[j], "binding")); j++)
			;
		if (i + 1 == j || c.line[i + 1] != c.line[i]) {
			ctl_err(c.line[i], "\"binding\" needs its name on the same line");
			err = -1;
			continue;
		}
		b = calloc(1, sizeof(*b));
		if (!b) {
			ctl_err(c.line[i], "out of memory");
			err = -1;
			break;
		}
		w.line0 = c.line[i];
		if (ctl_spec_parse(c.word[i + 1], b, c.line[i]) ||
		    ctl_words_parse(j - i - 2, c.word + i + 2, c.line + i + 2, &w, NULL) ||
		    ctl_bind_from_words(b, &w, NULL)) {
			free(b);
			err = -1;
			continue;
		}
		b->line = c.line[i];
		dup = set_find(out, b->name);
		if (dup) {
			ctl_err(b->line, "binding %s is already on line %d", b->name, dup->line);
			free(b);
			err = -1;
			continue;
		}
		if (set_push(out, b)) {
			ctl_err(b->line, "out of memory");
			free(b);
			err = -1;
			break;
		}
	}
	conf_free(&c);
	if (cwd >= 0 && fchdir(cwd))
		err = -1;
	if (cwd >= 0)
		close(cwd);
	free(dir);
	if (err)
		set_free(out);
	return err;
}

/*
 * A queue has one user and group, set by the binding that made it, and the
 * kernel reports them with every binding on the queue: bindings in the
 * file that share a queue with one naming them get them too, so that they
 * compare equal to the kernel's.
 */
static void share_queue_owner(struct bind_set *want)
{
	struct ctl_bind *b, *o;
	int i, j;

	for (i = 0; i < want->n; i++) {
		b = want->b[i];
		for (j = 0; b->queue[0] && j < want->n; j++) {
			o = want->b[j];
			if (strcmp(o->queue, b->queue))
				continue;
			if (!b->has_uid && o->has_uid) {
				b->has_uid = true;
				b->uid = o->uid;
			}
			if (!b->has_gid && o->has_gid) {
				b->has_gid = true;
				b->gid = o->gid;
			}
		}
	}
}

static int dump_one(struct nlattr **tb, void *arg)
{
	struct ctl_bind *b = malloc(sizeof(*b));

	if (!b)
		return -ENOMEM;
	ctl_bind_from_nl(tb, b);
	if (set_push(arg, b)) {
		free(b);
		return -ENOMEM;
	}
	return 0;
}

/* The kernel's bindings in this network namespace. */
static int kernel_bindings(struct khttps_nl *nl, struct bind_set *out)
{
	struct nl_msg *msg = khttps_nl_dump_msg(nl, KHTTPS_CMD_BINDING_GET);

	if (!msg || khttps_nl_request(nl, msg, dump_one, out)) {
		ctl_err(0, "cannot list the bindings: %s", msg ? nl->err : "out of memory");
		set_free(out);
		return -1;
	}
	return 0;
}

enum step_op { STEP_DEL, STEP_SET, STEP_ADD };

/* What a step is to the admin; the DEL half of a replacement is nothing of its own. */
enum step_kind { KIND_NONE, KIND_CHANGE, KIND_REPLACE, KIND_ADD, KIND_DELETE };
static const char *const kind_do[] = { "", "change", "replace", "add", "delete" };
static const char *const kind_done[] = { "", "changed", "replaced", "added", "deleted" };

/* One request, and the one that undoes it. */
struct step {
	enum step_op op;
	const struct ctl_bind *b;	/* what the request sends */
	enum step_op undo_op;
	const struct ctl_bind *undo;
	enum step_kind kind;
};

static int step_send(struct khttps_nl *nl, enum step_op op, const struct ctl_bind *b)
{
	static const uint8_t cmd[] = {
		[STEP_DEL] = KHTTPS_CMD_BINDING_DEL,
		[STEP_SET] = KHTTPS_CMD_BINDING_SET,
		[STEP_ADD] = KHTTPS_CMD_BINDING_ADD,
	};
	struct nl_msg *msg = khttps_nl_msg(nl, cmd[op]);
	int e;

	e = !msg ? -1 : op == STEP_DEL ? ctl_bind_put_key(msg, b) :
	    op == STEP_SET ? ctl_bind_put_set(msg, b) : ctl_bind_put_add(msg, b);
	if (e) {
		nlmsg_free(msg);
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	return khttps_nl_request(nl, msg, NULL, NULL);
}

struct plan {
	struct step *s;
	int n;
	int added, changed, replaced, deleted, unchanged;
};

static int plan_push(struct plan *p, enum step_op op, const struct ctl_bind *b,
		     enum step_op undo_op, const struct ctl_bind *undo, enum step_kind kind)
{
	struct step *ns = realloc(p->s, sizeof(*ns) * (size_t)(p->n + 1));

	if (!ns)
		return -1;
	p->s = ns;
	p->s[p->n++] = (struct step){ op, b, undo_op, undo, kind };
	return 0;
}

/*
 * Deletions first, those of replacements too, so that what they free (a
 * port, a queue name) is free for the rest; then changes in place; then
 * additions, in file order.
 */
static int plan_make(const struct bind_set *want, const struct bind_set *have, struct plan *p)
{
	const struct ctl_bind *w, *h;
	int i, e = 0;

	for (i = 0; i < have->n && !e; i++) {
		h = have->b[i];
		w = set_find(want, h->name);
		if (!w) {
			e = plan_push(p, STEP_DEL, h, STEP_ADD, h, KIND_DELETE);
			p->deleted++;
		} else if (!ctl_bind_same_queue(w, h)) {
			e = plan_push(p, STEP_DEL, h, STEP_ADD, h, KIND_NONE);
			p->replaced++;
		}
	}
	for (i = 0; i < want->n && !e; i++) {
		w = want->b[i];
		h = set_find(have, w->name);
		if (h && ctl_bind_same(w, h)) {
			p->unchanged++;
		} else if (h && ctl_bind_same_queue(w, h)) {
			e = plan_push(p, STEP_SET, w, STEP_SET, h, KIND_CHANGE);
			p->changed++;
		}
	}
	for (i = 0; i < want->n && !e; i++) {
		w = want->b[i];
		h = set_find(have, w->name);
		if (!h || !ctl_bind_same_queue(w, h))
			e = plan_push(p, STEP_ADD, w, STEP_DEL, w, h ? KIND_REPLACE : KIND_ADD);
		if (!h)
			p->added++;
	}
	return e ? -1 : 0;
}

/* Undo steps [0, @done) in reverse; Return: 0 when all of them were undone. */
static int plan_undo(struct khttps_nl *nl, const struct plan *p, int done)
{
	int i, err = 0;

	for (i = done - 1; i >= 0; i--) {
		if (step_send(nl, p->s[i].undo_op, p->s[i].undo)) {
			ctl_err(0, "could not undo the change to %s: %s", p->s[i].undo->name,
				nl->err);
			err = -1;
		}
	}
	return err;
}

#define USAGE_APPLY "usage: khttpsctl apply [-n|--dry-run] FILE\n"

int ctl_apply(int argc, char **argv, const struct ctl_opts *o)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bind_set want = { 0 }, have = { 0 };
	struct plan p = { 0 };
	struct khttps_nl nl;
	bool dry = false;
	enum step_kind k;
	int c, i, e = 1;

	(void)o;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry = true;
			break;
		case 'h':
			fputs(USAGE_APPLY, stdout);
			return 0;
		default:
			fputs(USAGE_APPLY, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(USAGE_APPLY, stderr);
		return 2;
	}
	ctl_file = argv[optind];
	if (conf_read(ctl_file, &want)) {
		ctl_err(0, "%s: nothing changed", ctl_file);
		ctl_file = NULL;
		return 1;
	}
	ctl_file = NULL;
	share_queue_owner(&want);
	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		set_free(&want);
		return 1;
	}
	if (kernel_bindings(&nl, &have))
		goto out;
	if (plan_make(&want, &have, &p)) {
		ctl_err(0, "out of memory; nothing changed");
		goto out;
	}
	for (i = 0; i < p.n; i++) {
		k = p.s[i].kind;
		if (dry) {
			if (k != KIND_NONE)
				printf("would %s %s\n", kind_do[k], p.s[i].b->name);
			continue;
		}
		if (step_send(&nl, p.s[i].op, p.s[i].b)) {
			if (p.s[i].b->line)
				fprintf(stderr, "khttpsctl: %s:%d: binding %s: %s\n", argv[optind],
					p.s[i].b->line, p.s[i].b->name, nl.err);
			else
				ctl_err(0, "binding del %s: %s", p.s[i].b->name, nl.err);
			if (plan_undo(&nl, &p, i))
				ctl_err(0, "%s: applied in part, and could not all be undone: "
					"check 'khttpsctl save'", argv[optind]);
			else
				ctl_err(0, "%s: undone; the bindings are as they were",
					argv[optind]);
			goto out;
		}
		if (k != KIND_NONE)
			printf("%s %s\n", kind_done[k], p.s[i].b->name);
	}
	printf("%s: %d added, %d changed, %d replaced, %d deleted, %d unchanged%s\n",
	       argv[optind], p.added, p.changed, p.replaced, p.deleted, p.unchanged,
	       dry ? " (dry run: nothing changed)" : "");
	e = 0;
out:
	free(p.s);
	set_free(&want);
	set_free(&have);
	khttps_nl_close(&nl);
	return e;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct ctl_bind *const *)a)->name, (*(struct ctl_bind *const *)b)->name);
}

int ctl_save(int argc, char **argv, const struct ctl_opts *o)
{
	struct bind_set have = { 0 };
	struct khttps_nl nl;
	int i;

	(void)argv;
	(void)o;
	if (argc != 1) {
		fputs("usage: khttpsctl save > FILE\n", stderr);
		return 2;
	}
	if (khttps_nl_open(&nl)) {
		ctl_err(0, "%s", nl.err);
		return 1;
	}
	if (kernel_bindings(&nl, &have)) {
		khttps_nl_close(&nl);
		return 1;
	}
	khttps_nl_close(&nl);
	/* A stable order, so that saved files diff well. */
	if (have.n)
		qsort(have.b, (size_t)have.n, sizeof(*have.b), by_name);
	printf("# khttps bindings (khttps.conf(5)); khttpsctl apply reads this back\n");
	for (i = 0; i < have.n; i++) {
		putchar('\n');
		ctl_bind_write_conf(stdout, have.b[i]);
	}
	set_free(&have);
	if (fflush(stdout) || ferror(stdout)) {
		ctl_err(0, "save: cannot write: %s", strerror(errno));
		return 1;
	}
	return 0;
}
