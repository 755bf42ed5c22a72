// SPDX-License-Identifier: GPL-2.0
/* khttpsctl version: both sides' versions, so a mismatch is easy to see. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "nl.h"

static void print_caps_json(uint32_t caps)
{
	const char *sep = "";
	uint32_t bit;

	putchar('[');
	for (bit = 1; bit; bit <<= 1) {
		if (!(caps & bit) || !khttps_cap_name(bit))
			continue;
		printf("%s", sep);
		khttps_json_string(stdout, khttps_cap_name(bit));
		sep = ",";
	}
	putchar(']');
}

static void print_caps(uint32_t caps)
{
	uint32_t bit;
	int n = 0;

	for (bit = 1; bit; bit <<= 1) {
		if (!(caps & bit))
			continue;
		if (khttps_cap_name(bit))
			printf("%s%s", n++ ? " " : "", khttps_cap_name(bit));
		else
			printf("%s0x%x", n++ ? " " : "", bit);
	}
	printf("%s\n", n ? "" : "none yet");
}

int ctl_version(int argc, char **argv, const struct ctl_opts *o)
{
	struct khttps_version v;
	struct khttps_nl nl;
	int err;

	if (argc > 1) {
		fprintf(stderr, "khttpsctl: version takes no arguments (got '%s')\n", argv[1]);
		return 2;
	}
	err = khttps_nl_open(&nl);
	if (!err)
		err = khttps_nl_version(&nl, &v);

	if (o->json) {
		printf("{\"khttpsctl\":{\"version\":\"%s\",\"api\":%d},\"module\":",
		       KHTTPS_VERSION, KHTTPS_API_VERSION);
		if (err) {
			printf("null,\"error\":");
			khttps_json_string(stdout, nl.err);
		} else {
			printf("{\"version\":");
			khttps_json_string(stdout, v.module);
			printf(",\"api\":%u,\"kernel\":", v.api);
			khttps_json_string(stdout, v.kernel);
			printf(",\"capabilities\":");
			print_caps_json(v.caps);
			putchar('}');
		}
		printf("}\n");
	} else {
		printf("khttpsctl  %s  (api %d)\n", KHTTPS_VERSION, KHTTPS_API_VERSION);
		if (!err) {
			printf("khttps.ko  %s  (api %u, kernel %s)\n", v.module, v.api, v.kernel);
			printf("capabilities: ");
			print_caps(v.caps);
		}
	}
	if (err)
		fprintf(stderr, "khttpsctl: %s\n", nl.err);
	khttps_nl_close(&nl);
	return err ? 1 : 0;
}
