// SPDX-License-Identifier: MIT
/* ovlmig mount [options] TARGET (see mount.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cli.h"
#include "../common/util.h"
#include "commands.h"
#include "mount.h"
#include "paths.h"
#include "state.h"

enum { OPT_STRATEGY = 256, OPT_SOURCE, OPT_LOWER_MOUNT, OPT_UPPER, OPT_WORK,
       OPT_META, OPT_CACHE, OPT_NAME, OPT_SHUTDOWN_LOWER, OPT_XINO,
       OPT_INSECURE, OPT_INDEX, OPT_PLATFORM, OPT_PREFETCH, OPT_PREFETCH_LIST,
       OPT_PREFETCH_BANDWIDTH, OPT_WHOLE_FILE_MAX };

static const struct cli_option options[] = {
	{ "strategy", OPT_STRATEGY, "auto|datadir|nofollow",
	  "how the lower is made detachable (default auto: nofollow where the kernel has xino=nofollow, "
	  "else datadir; exit 3 if the kernel cannot)" },
	{ "source", OPT_SOURCE, "SOURCE", "the image, served by lowerfs (e.g. dir:/path); a detached upper needs none" },
	{ "lower-mount", OPT_LOWER_MOUNT, "PATH", "use an already mounted filesystem as the lower" },
	{ "shutdown-lower", OPT_SHUTDOWN_LOWER, NULL, "at detach, shut the lower down (XFS: XFS_IOC_GOINGDOWN)" },
	{ "upper", OPT_UPPER, "DIR", "the writable layer" },
	{ "work", OPT_WORK, "DIR", "overlayfs work directory (same filesystem as --upper)" },
	{ "meta", OPT_META, "DIR", "metadata layer (default: .NAME.meta beside the upper)" },
	{ "cache", OPT_CACHE, "DIR", "lowerfs cache (default: .NAME.cache beside the upper)" },
	{ "name", OPT_NAME, "NAME", "state name (default: derived from TARGET)" },
	{ "xino", OPT_XINO, "on|off|auto", "overlayfs xino: one st_dev for every file (default: the kernel's)" },
	/* handed to lowerfs (see lowerfs --help), paths made absolute */
	{ "insecure", OPT_INSECURE, NULL, "remote images: no TLS verification, plain http registries" },
	{ "index", OPT_INDEX, "FILE", "remote images: a layer index to use (repeatable)" },
	{ "platform", OPT_PLATFORM, "OS/ARCH", "remote images: the platform to pick (default linux/amd64)" },
	{ "prefetch", OPT_PREFETCH, NULL, "fetch the whole image in the background after mounting" },
	{ "prefetch-list", OPT_PREFETCH_LIST, "FILE", "prefetch these paths first" },
	{ "prefetch-bandwidth", OPT_PREFETCH_BANDWIDTH, "MBPS", "cap the background prefetch" },
	{ "whole-file-max", OPT_WHOLE_FILE_MAX, "BYTES", "larger files are read by chunks, not fetched whole" },
	{ "help", 'h', NULL, "show this help" },
};


static const struct cli_option *option_of(int key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(options) - 1; i++)
		if (options[i].key == key)
			break;
	return &options[i];
}

/*
 * Keep "--NAME [VALUE]" for lowerfs's command line; a FILE made absolute:
 * a keeper restarts lowerfs from another directory.
 */
static int add_lower_arg(struct mount_args *a, const struct cli_option *o,
			 const char *value)
{
	const char *name = o->name;
	char **args = reallocarray(a->lower_args, a->nlower_args + 3,
				   sizeof(*args));

	if (!args) {
		fprintf(stderr, "ovlmig mount: out of memory\n");
		return -1;
	}
	a->lower_args = args;
	args[a->nlower_args] = NULL;
	if (asprintf(&args[a->nlower_args], "--%s", name) < 0) {
		args[a->nlower_args] = NULL;
		return -1;
	}
	a->nlower_args++;
	args[a->nlower_args] = NULL;
	if (value) {
		struct error *err = NULL;

		args[a->nlower_args] = o->arg && !strcmp(o->arg, "FILE") && value[0] != '/' ?
				       absolute_path(value, &err) : strdup(value);
		if (!args[a->nlower_args]) {
			if (!err)
				error_set(&err, ENOMEM, "--%s", name);
			error_wrap(&err, "--%s", name);
			error_report(&err, "ovlmig mount", stderr);
			return -1;
		}
		args[++a->nlower_args] = NULL;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ovlmig mount [options] TARGET\n\nOptions:\n");
	cli_print_options(f, options, ARRAY_SIZE(options));
}

static int parse(int argc, char **argv, struct mount_args *a)
{
	struct cli_parser p;
	int c;

	memset(a, 0, sizeof(*a));
	a->strategy = "auto";
	if (cli_parser_init(&p, options, ARRAY_SIZE(options)) < 0)
		return -1;
	optind = 1;
	while ((c = cli_next(&p, argc, argv)) != -1) {
		switch (c) {
		case OPT_STRATEGY: a->strategy = optarg; break;
		case OPT_SOURCE: a->source = optarg; break;
		case OPT_LOWER_MOUNT: a->lower_mount = optarg; break;
		case OPT_SHUTDOWN_LOWER: a->shutdown_lower = true; break;
		case OPT_UPPER: a->upper = optarg; break;
		case OPT_WORK: a->work = optarg; break;
		case OPT_META: a->meta = optarg; break;
		case OPT_CACHE: a->cache = optarg; break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_XINO: a->xino = optarg; break;
		case OPT_INSECURE:
		case OPT_INDEX:
		case OPT_PLATFORM:
		case OPT_PREFETCH:
		case OPT_PREFETCH_LIST:
		case OPT_PREFETCH_BANDWIDTH:
		case OPT_WHOLE_FILE_MAX:
			if (add_lower_arg(a, option_of(c),
					  option_of(c)->arg ? optarg : NULL) < 0) {
				cli_parser_free(&p);
				return -1;
			}
			break;
		case 'h': usage(stdout); cli_parser_free(&p); exit(0);
		default: cli_parser_free(&p); usage(stderr); return -1;
		}
	}
	cli_parser_free(&p);
	if (argc - optind != 1) {
		fprintf(stderr, "ovlmig mount: expected one TARGET\n");
		return -1;
	}
	a->target = argv[optind];
	/* neither: only for an upper that was detached (see cmd_mount) */
	if (a->source && a->lower_mount) {
		fprintf(stderr, "ovlmig mount: give exactly one of --source and --lower-mount\n");
		return -1;
	}
	if (a->xino && strcmp(a->xino, "on") && strcmp(a->xino, "off") &&
	    strcmp(a->xino, "auto")) {
		fprintf(stderr, "ovlmig mount: --xino on, off or auto\n");
		return -1;
	}
	if (!a->upper || !a->work) {
		fprintf(stderr, "ovlmig mount: --upper and --work are required\n");
		return -1;
	}
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_args a;
	int code;

	if (parse(argc, argv, &a) < 0 || require_root("mount") < 0) {
		state_free_args(a.lower_args);
		return EXIT_USAGE;
	}
	code = mount_run(&a, &err);
	if (err)
		error_report(&err, "ovlmig", stderr);
	state_free_args(a.lower_args);
	return code;
}
