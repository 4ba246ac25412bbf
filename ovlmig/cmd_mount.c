// SPDX-License-Identifier: MIT
/* ovlmig mount [options] TARGET (see mount.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/util.h"
#include "../control/image_options.h"
#include "commands.h"
#include "mount.h"
#include "paths.h"
#include "state.h"

enum { OPT_STRATEGY = 256, OPT_SOURCE, OPT_LOWER_MOUNT, OPT_UPPER, OPT_WORK,
       OPT_META, OPT_CACHE, OPT_NAME, OPT_SHUTDOWN_LOWER, OPT_XINO, OPT_STORE,
       OPT_FILL, OPT_FILL_RANGE_MIN, OPT_REPROBE };

static const struct cli_option options[] = {
	{ "strategy", OPT_STRATEGY, "auto|datadir|nofollow|store",
	  "how the lower is made detachable (default auto: nofollow where the kernel has xino=nofollow; "
	  "else store, one local copy per image shared by its containers, where the kernel has data-only "
	  "layers and FUSE passthrough; else datadir, a private copy in each upper, also for --lower-mount "
	  "or --meta; exit 3 if the kernel can run none)" },
	{ "source", OPT_SOURCE, "SOURCE", "the image, served by lowerfs (e.g. dir:/path); a detached upper needs none" },
	{ "lower-mount", OPT_LOWER_MOUNT, "PATH", "use an already mounted filesystem as the lower" },
	{ "shutdown-lower", OPT_SHUTDOWN_LOWER, NULL, "at detach, shut the lower down (XFS: XFS_IOC_GOINGDOWN)" },
	{ "upper", OPT_UPPER, "DIR", "the writable layer" },
	{ "work", OPT_WORK, "DIR", "overlayfs work directory (same filesystem as --upper)" },
	{ "meta", OPT_META, "DIR", "strategy datadir's metadata layer (default: .NAME.meta beside the upper; given, auto picks datadir)" },
	{ "cache", OPT_CACHE, "DIR", "lowerfs cache (default: .NAME.cache beside the upper)" },
	{ "store", OPT_STORE, "DIR", "strategy store: the image store (default $OVLMIG_STORE_DIR, else /var/lib/ovlmig/images)" },
	{ "fill", OPT_FILL, "fuse|fanotify",
	  "strategy store: what fills the store on first access (fanotify: pre-content events on "
	  "placeholders in the store, no FUSE mount at all, the store on a filesystem of its own with "
	  "pre-content events, ext4 or XFS; fuse: lowerfs over FUSE; default: fanotify where it can "
	  "work and no lowerfs-only option (--prefetch...) is given, else fuse; status says why)" },
	{ "fill-range-min", OPT_FILL_RANGE_MIN, "BYTES",
	  "fill fanotify: a file of at least BYTES that is no executable, library or ELF file is "
	  "filled by ranges as it is read (the part read so far, from its start), smaller ones and "
	  "those whole at open (default 16 MiB; docs/FANOTIFY.md)" },
	{ "name", OPT_NAME, "NAME", "state name (default: derived from TARGET)" },
	{ "reprobe", OPT_REPROBE, NULL, "probe the kernel's overlay and FUSE features again (default: once per boot; also OVLMIG_REPROBE=1)" },
	{ "xino", OPT_XINO, "on|off|auto", "overlayfs xino: one st_dev for every file (default: the kernel's)" },
	/* handed to lowerfs (see lowerfs --help), paths made absolute */
	IMAGE_CLI_OPTIONS,
	{ "help", 'h', NULL, "show this help" },
};

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

const struct cli_command command_mount = {
	"mount", "TARGET",
	"mount an overlay over a lazy image at TARGET (a detached upper: no lower)",
	options, ARRAY_SIZE(options), 1, 1, cmd_mount,
};

static int option(void *ctx, int key, const char *arg)
{
	struct mount_args *a = ctx;

	switch (key) {
	case OPT_STRATEGY: a->strategy = arg; break;
	case OPT_SOURCE: a->source = arg; break;
	case OPT_LOWER_MOUNT: a->lower_mount = arg; break;
	case OPT_SHUTDOWN_LOWER: a->shutdown_lower = true; break;
	case OPT_UPPER: a->upper = arg; break;
	case OPT_WORK: a->work = arg; break;
	case OPT_META: a->meta = arg; break;
	case OPT_CACHE: a->cache = arg; break;
	case OPT_NAME: a->name = arg; break;
	case OPT_STORE: a->store = arg; break;
	case OPT_FILL: a->fill = arg; break;
	case OPT_FILL_RANGE_MIN:
		if (parse_u64(arg, 1, UINT64_MAX, &a->fill_range_min) < 0) {
			fprintf(stderr, "ovlmig mount: --fill-range-min %s: %s\n", arg,
				strerror(errno));
			return -1;
		}
		break;
	case OPT_XINO: a->xino = arg; break;
	case OPT_REPROBE: a->reprobe = true; break;
	default:	/* lowerfs' own: handed to it */
		return add_lower_arg(a, cli_option_of(&command_mount, key), arg);
	}
	return 0;
}

/* 0, or the exit code: the checks that need every option first */
static int parse(int argc, char **argv, struct mount_args *a)
{
	int code;

	memset(a, 0, sizeof(*a));
	a->strategy = "auto";
	if (command_parse(&command_mount, argc, argv, option, a, &code) < 0)
		return code ? code : -1;
	a->target = argv[1];
	/* neither: only for an upper that was detached (see cmd_mount) */
	if (a->source && a->lower_mount) {
		fprintf(stderr, "ovlmig mount: give exactly one of --source and --lower-mount\n");
		return EXIT_USAGE;
	}
	if (a->xino && strcmp(a->xino, "on") && strcmp(a->xino, "off") &&
	    strcmp(a->xino, "auto")) {
		fprintf(stderr, "ovlmig mount: --xino on, off or auto\n");
		return EXIT_USAGE;
	}
	if (a->fill && strcmp(a->fill, "fuse") && strcmp(a->fill, "fanotify")) {
		fprintf(stderr, "ovlmig mount: --fill fuse or fanotify\n");
		return EXIT_USAGE;
	}
	if (!a->upper || !a->work) {
		fprintf(stderr, "ovlmig mount: --upper and --work are required\n");
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	struct error *err = NULL;
	struct mount_args a;
	int code = parse(argc, argv, &a);

	if (code == 0 && require_root("mount") < 0)
		code = EXIT_USAGE;
	if (code) {
		state_free_args(a.lower_args);
		return code < 0 ? 0 : code;
	}
	code = mount_run(&a, &err);
	if (err)
		error_report(&err, "ovlmig", stderr);
	state_free_args(a.lower_args);
	return code;
}
