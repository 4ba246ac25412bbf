// SPDX-License-Identifier: MIT
/* ovlmig gc [--store DIR]: remove the store's unused images (store_images.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/util.h"
#include "commands.h"
#include "store.h"
#include "store_images.h"

enum { OPT_STORE = 256 };

static const struct cli_option options[] = {
	{ "store", OPT_STORE, "DIR", "the image store (default $OVLMIG_STORE_DIR, else /var/lib/ovlmig/images)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_gc = {
	"gc", "",
	"remove the images of the store that no managed mount uses",
	options, ARRAY_SIZE(options), 0, 0, cmd_gc,
};

static int option(void *ctx, int key, const char *arg)
{
	(void)key;
	*(const char **)ctx = arg;
	return 0;
}

static void print(json_t *list, const char *what)
{
	size_t i;
	json_t *one;

	json_array_foreach(list, i, one)
		printf("%s %s (%s)\n", what,
		       json_string_value(json_object_get(one, "id")),
		       json_string_value(json_object_get(one, "why")));
}

int cmd_gc(int argc, char **argv)
{
	struct error *err = NULL;
	json_t *removed = NULL, *kept = NULL;
	const char *store = NULL;
	char *root;
	int code = 0;

	if (command_parse(&command_gc, argc, argv, option, &store, &code) < 0)
		return code;
	if (require_root("gc") < 0)
		return EXIT_USAGE;
	root = store_root(store, &err);
	if (!root || store_gc(root, &removed, &kept, &err) < 0) {
		error_report(&err, "ovlmig gc", stderr);
		free(root);
		return EXIT_FAILED;
	}
	print(removed, "removed");
	print(kept, "kept");
	json_decref(removed);
	json_decref(kept);
	free(root);
	return 0;
}
