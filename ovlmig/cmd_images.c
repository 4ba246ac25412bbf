// SPDX-License-Identifier: MIT
/* ovlmig images [--json] [--store DIR]: the images in the store (store_images.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/util.h"
#include "commands.h"
#include "store.h"
#include "store_images.h"

enum { OPT_JSON = 256, OPT_STORE };

static const struct cli_option options[] = {
	{ "json", OPT_JSON, NULL, "print JSON: {\"images\": [...]}" },
	{ "store", OPT_STORE, "DIR", "the image store (default $OVLMIG_STORE_DIR, else /var/lib/ovlmig/images)" },
	{ "help", 'h', NULL, "show this help" },
};

const struct cli_command command_images = {
	"images", "",
	"the images in the store: id, manifest digest, references, size, state (lazy/complete), mounts and containers using each; "
	"the mounts of other strategies (datadir, nofollow) and their strategy",
	options, ARRAY_SIZE(options), 0, 0, cmd_images,
};

struct images_opts {
	bool json;
	const char *store;
};

static int option(void *ctx, int key, const char *arg)
{
	struct images_opts *o = ctx;

	if (key == OPT_JSON)
		o->json = true;
	else
		o->store = arg;
	return 0;
}

/* The references, ", " between them: "-" when none is known. */
static void print_refs(json_t *refs)
{
	size_t i;
	json_t *r;

	json_array_foreach(refs, i, r)
		printf("%s%s", i ? ", " : "", json_string_value(r) ?: "?");
	printf("%s\n", json_array_size(refs) ? "" : "-");
}

static void print_human(json_t *list)
{
	size_t i;
	json_t *im;

	/* ids and digests cut as docker does: enough to tell them apart */
	printf("%-19s %-19s %-9s %10s %6s %10s  %s\n", "ID", "DIGEST", "STATE", "SIZE",
	       "USERS", "CONTAINERS", "REFERENCES");
	json_array_foreach(list, i, im) {
		const char *id = json_string_value(json_object_get(im, "id"));
		const char *digest = json_string_value(json_object_get(im, "digest"));

		printf("%-19.19s %-19.19s %-9s %8.1f M %6zu %10zu  ", id ? id : "?",
		       digest ? digest : "-",
		       json_string_value(json_object_get(im, "state")),
		       (double)json_integer_value(json_object_get(im, "size")) / 1048576,
		       json_array_size(json_object_get(im, "users")),
		       json_array_size(json_object_get(im, "containers")));
		print_refs(json_object_get(im, "references"));
	}
	if (!json_array_size(list))
		printf("no images\n");
}

/* The mounts of another strategy: they keep their image in their upper. */
static void print_others(json_t *others)
{
	size_t i;
	json_t *m;

	if (json_array_size(others))
		printf("\nmounts not in this store (a copy of the image in each upper):\n");
	json_array_foreach(others, i, m)
		printf("  %s  strategy %s\n", json_string_value(json_object_get(m, "target")),
		       json_string_value(json_object_get(m, "strategy")));
}

int cmd_images(int argc, char **argv)
{
	struct images_opts o = { 0 };
	struct error *err = NULL;
	json_t *list = NULL, *others = NULL;
	char *root = NULL;
	int code = 0;

	if (command_parse(&command_images, argc, argv, option, &o, &code) < 0)
		return code;
	root = store_root(o.store, &err);
	list = root ? store_images(root, &err) : NULL;
	others = list ? store_other_mounts(root, &err) : NULL;
	if (!others) {
		error_report(&err, "ovlmig images", stderr);
		json_decref(list);
		free(root);
		return EXIT_FAILED;
	}
	if (o.json) {
		json_t *out = json_pack("{s:s, s:O, s:O}", "store", root, "images", list,
					"other_mounts", others);

		if (!out || json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			fprintf(stderr, "ovlmig images: out of memory\n");
			code = EXIT_FAILED;
		}
		putchar('\n');
		json_decref(out);
	} else {
		print_human(list);
		print_others(others);
	}
	json_decref(others);
	json_decref(list);
	free(root);
	return code;
}
