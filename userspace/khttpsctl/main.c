// SPDX-License-Identifier: GPL-2.0
/*
 * khttpsctl: the khttps admin tool.  A table maps each subcommand to the
 * file that implements it; global options come before the subcommand.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_cmd {
	const char *name;
	int (*run)(int argc, char **argv, const struct ctl_opts *o);
	const char *usage;
} ctl_cmds[] = {
	{ "binding", ctl_binding,
	  "binding add BINDING cert CERT key KEY {backend HOST:PORT |\n"
	  "                                        queue NAME [user USER] [group GROUP]}\n"
	  "  binding add ccs:PORT store DIR {backend ... | queue ...}\n"
	  "  binding set BINDING [cert CERT key KEY | store DIR] [backend HOST:PORT] [POLICY]\n"
	  "  binding del BINDING\n"
	  "                     BINDING: ADDR:PORT (address), HOSTNAME:PORT or\n"
	  "                     *.DOMAIN:PORT (chosen by the client's SNI)\n"
	  "                     POLICY: [tls 1.2|1.3] [tls13 on|off] [alpn LIST] [chain FILE]\n"
	  "                             [clientcert off|request|require] [ca FILE] [crl FILE]\n"
	  "                             [resume on|off] [closenotify on|off|default]\n"
	  "                             [engine openssl|mbedtls|default] [maxconns N|none]\n"
	  "                             [proxy v2|off] (forward mode)\n"
	  "  binding show       bindings with their counters" },
	{ "apply", ctl_apply,
	  "apply [-n] FILE    make the bindings those of FILE (khttps.conf(5)): add, change,\n"
	  "                     delete; unchanged ones untouched; a file with an error changes\n"
	  "                     nothing; -n (--dry-run) says what would change" },
	{ "save", ctl_save, "save               print the bindings as a config file for apply" },
	{ "conns", ctl_conns,
	  "conns              open connections: id, peer, binding, phase, TLS version and\n"
	  "                     cipher, SNI, plaintext bytes in and out, age" },
	{ "monitor", ctl_monitor,
	  "monitor [-n N]     the error log as it happens: a line per refused or failed\n"
	  "                     connection (time, peer, local address, binding, reason, SNI);\n"
	  "                     -n: stop after N; --json: an object a line" },
	{ "stats", ctl_stats, "stats [--prometheus]\n"
	  "                     counters of this network namespace, and whether khttpsd runs;\n"
	  "                     --prometheus: Prometheus text format, per binding too" },
	{ "version", ctl_version, "version            versions of khttpsctl and of the loaded khttps module" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: khttpsctl [--json] COMMAND [ARGS]\n\n"
		   "Manage kernel-mode HTTPS (khttps.ko).\n\n"
		   "options:\n"
		   "  -j, --json         machine-readable output (stable keys)\n"
		   "  -h, --help         this text\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(f, "  %s\n", ctl_cmds[i].usage);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_opts o = { 0 };
	size_t i;
	int c;

	/* '+': stop at the subcommand, whose words are its own. */
	while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(argv[optind], ctl_cmds[i].name))
			return ctl_cmds[i].run(argc - optind, argv + optind, &o);
	fprintf(stderr, "khttpsctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}
