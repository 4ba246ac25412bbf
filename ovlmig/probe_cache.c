// SPDX-License-Identifier: MIT
#include "probe_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/json_file.h"
#include "../common/private_dir.h"
#include "../common/util.h"
#include "state.h"

#define BOOT_ID_PATH "/proc/sys/kernel/random/boot_id"
#define DBG "ovlmig"

/* What the kept result belongs to: this boot of this kernel. */
struct probe_key {
	char boot_id[64];
	char release[sizeof(((struct utsname *)0)->release)];
};

static int probe_key_now(struct probe_key *k)
{
	struct utsname u;
	ssize_t n;
	int fd;

	memset(k, 0, sizeof(*k));
	fd = open(BOOT_ID_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read_full(fd, k->boot_id, sizeof(k->boot_id) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	k->boot_id[strcspn(k->boot_id, "\n")] = '\0';
	if (uname(&u) < 0)
		return -1;
	snprintf(k->release, sizeof(k->release), "%s", u.release);
	return 0;
}

static bool key_matches(json_t *doc, const struct probe_key *k)
{
	const char *b = json_string_value(json_object_get(doc, "boot_id"));
	const char *r = json_string_value(json_object_get(doc, "release"));

	return b && r && !strcmp(b, k->boot_id) && !strcmp(r, k->release);
}

static bool get_bool(json_t *doc, const char *key, bool *out)
{
	json_t *v = json_object_get(doc, key);

	if (!json_is_boolean(v))
		return false;
	*out = json_is_true(v);
	return true;
}

/*
 * The features kept for key K, if the run directory is root's alone (a
 * file someone else could plant would pick a strategy) and the file is
 * whole, of this boot and this kernel.
 */
static bool load_kept(const struct probe_key *k, struct overlay_features *f)
{
	struct error *err = NULL;
	json_t *doc;
	bool ok;

	if (dir_check_private("state directory", state_root(), &err) < 0) {
		error_free(&err);
		return false;
	}
	doc = json_file_load(state_root(), PROBE_CACHE_FILE, JSON_OBJECT);
	ok = doc && key_matches(doc, k) &&
	     get_bool(doc, "xino_nofollow", &f->xino_nofollow) &&
	     get_bool(doc, "data_layers", &f->data_layers) &&
	     get_bool(doc, "fuse_passthrough", &f->fuse_passthrough);
	json_decref(doc);
	return ok;
}

/* Best effort: a result not kept is probed again next time. */
static void keep(const struct probe_key *k, const struct overlay_features *f)
{
	struct error *err = NULL;
	char *path = NULL;
	json_t *doc;

	if (make_dirs(state_root(), 0700, &err) < 0 ||
	    dir_check_private("state directory", state_root(), &err) < 0) {
		error_free(&err);
		return;
	}
	doc = json_pack("{s:s, s:s, s:b, s:b, s:b}",
			"boot_id", k->boot_id, "release", k->release,
			"xino_nofollow", f->xino_nofollow,
			"data_layers", f->data_layers,
			"fuse_passthrough", f->fuse_passthrough);
	path = path_join(state_root(), PROBE_CACHE_FILE);
	/* /run does not outlive the boot: no fsync */
	if (!path || json_file_replace(path, doc, JSON_COMPACT, 0, &err) < 0)
		error_free(&err);
	free(path);
	json_decref(doc);
}

int overlay_probe_cached(struct overlay_features *f, bool reprobe,
			 struct error **err)
{
	const char *env = getenv("OVLMIG_REPROBE");
	uint64_t t0 = now_ns();
	struct probe_key k;
	bool have_key = probe_key_now(&k) == 0;

	memset(f, 0, sizeof(*f));
	if (env && !strcmp(env, "1"))
		reprobe = true;
	if (have_key && !reprobe && load_kept(&k, f)) {
		debug_step(DBG, "kernel features kept from this boot (no probe)", &t0);
		return 0;
	}
	if (overlay_probe(f, err) < 0)
		return -1;
	debug_step(DBG, "kernel probed", &t0);
	/*
	 * A probe mount that failed for a passing reason (memory, a busy
	 * /dev/fuse) reads as a missing feature: keep only a result that
	 * has what strategy store needs, so a lack is probed again next time.
	 */
	if (have_key && f->data_layers && f->fuse_passthrough)
		keep(&k, f);
	return 0;
}
