// SPDX-License-Identifier: MIT
/*
 * ovlmig gc [--store DIR]: remove the states of mounts that are gone
 * (what `ovlmig status` reports stale), then the store's unused images
 * (store_images.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "commands.h"
#include "state.h"
#include "store.h"
#include "store_images.h"
#include "umount.h"

enum { OPT_STORE = 256 };

static const struct cli_option options[] = {
	{ "store", OPT_STORE, "DIR", "the image store (default $OVLMIG_STORE_DIR, else /var/lib/ovlmig/images)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_gc = {
	"gc", "",
	"remove the states of mounts that are gone (stale), then the images of the store that no managed mount uses",
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

/*
 * A state whose target is not mounted any more (status' "stale": the
 * runtime unmounted it by hand or removed its directories) is undone as
 * `ovlmig umount TARGET` would: lowerfs stopped, lower unmounted, state
 * removed; the upper stays. A mount being made is not stale yet.
 */
static int gc_stale(const char *dir, struct mount_state *s, void *arg)
{
	struct error *err = NULL;
	int *failed = arg;

	if (s->phase == PHASE_MOUNTING || is_mountpoint(s->target) == 1)
		return 0;
	if (umount_mount(dir, s, &err) < 0) {
		error_wrap(&err, "remove the stale state of %s", s->target);
		error_report(&err, "ovlmig gc", stderr);
		(*failed)++;
		return 0;
	}
	printf("removed stale state %s (its target is not mounted any more)\n", s->target);
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	struct error *err = NULL;
	json_t *removed = NULL, *kept = NULL;
	const char *store = NULL;
	char *root;
	int code = 0, failed = 0;

	if (command_parse(&command_gc, argc, argv, option, &store, &code) < 0)
		return code;
	if (require_root("gc") < 0)
		return EXIT_USAGE;
	if (state_each(gc_stale, &failed, &err) < 0) {
		error_report(&err, "ovlmig gc", stderr);
		return EXIT_FAILED;
	}
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
	return failed ? EXIT_FAILED : 0;
}
