// SPDX-License-Identifier: MIT
/*
 * The store strategy: one local copy of each image, shared by all its
 * containers (store.h). The overlay is
 *   lowerdir+=STORE/meta, datadir+=STORE/data, datadir+=LOWERFS
 * so a file resolves to the store if it is there at its first open, to
 * the lazy layer otherwise. Migration fills the store instead of copying
 * into each upper; detach gets the overlay inodes that still resolve to
 * the lazy layer evicted (then they resolve to the store), repins only
 * what processes hold, and aborts the lazy layer (detach.c does that
 * part as for datadir). Opt-in: auto never picks it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../image/image.h"
#include "detach.h"
#include "lowerfs_exec.h"
#include "meta.h"
#include "overlay.h"
#include "progress.h"
#include "store.h"
#include "store_uppers.h"
#include "strategy.h"

static bool store_probe(const struct overlay_features *f)
{
	return f->data_layers;
}

/* META over the store's data, then the lazy layer (if still there). */
static int mount_overlay(struct mount_state *s, const char *xino,
			 struct error **err)
{
	char *data = path_join(s->store, "data");
	const char *datas[] = { data, s->lower };
	int ret;

	if (!data)
		return error_set(err, ENOMEM, "mount %s", s->target);
	ret = overlay_mount_meta(s->meta, datas, s->lower ? 2 : 1, s->upper,
				 s->work, xino, s->target, err);
	free(data);
	return ret;
}

static int store_mount(struct mount_state *s, bool fresh_upper,
		       const char *xino, struct error **err)
{
	struct image_handle *h = NULL;
	char *dir = NULL;
	int ret = -1;

	if (store_open_image(s, &h, err) < 0 ||
	    store_prepare(s->store_root, h, s->source, &dir, err) < 0)
		goto out;
	free(s->store);
	free(s->meta);
	s->store = dir;
	s->meta = path_join(dir, "meta");
	if (!s->meta) {
		error_set(err, ENOMEM, "mount");
		goto out;
	}
	lowerfs_feed_store(s, dir);
	/* the container needs its image until its upper is deleted */
	if (store_upper_add(dir, s->upper, err) < 0)
		goto out;
	if (fresh_upper && meta_apply_root(image_tree(h), s->upper, err) < 0)
		goto out;
	ret = mount_overlay(s, xino, err);
out:
	image_close(h);
	return ret;
}

/* META and the store's data: everything a detached container needs. */
static int store_remount(struct mount_state *s, const char *state_dir,
			 const char *xino, struct error **err)
{
	char *slash = strrchr(s->meta, '/');

	free(s->store);
	s->store = slash ? strndup(s->meta, (size_t)(slash - s->meta)) : NULL;
	if (!s->store)
		return error_set(err, ENOMEM, "mount %s", s->target);
	if (state_save(state_dir, s, err) < 0)
		return -1;
	return mount_overlay(s, xino, err);
}

static int store_migrate(const char *dir, struct mount_state *s,
			 const struct migrate_opts *o, struct error **err)
{
	struct image_handle *h = NULL;
	struct progress p;
	uint64_t t0 = now_ns();
	int ret = -1;

	(void)o;	/* one stream in layer order: --jobs and --bandwidth do not apply */
	if (!s->store)
		return error_set(err, EINVAL, "%s: no image store in its state", s->target);
	progress_init(&p, dir, 0, 0);
	if (s->phase != PHASE_MIGRATED && state_set_phase(dir, s, PHASE_MIGRATING, err) < 0)
		return -1;
	if (store_open_image(s, &h, err) < 0)
		return -1;
	ret = store_fill(s->store, h, s, dir, &p, err);
	progress_finish(&p);
	image_close(h);
	if (ret < 0 || state_set_phase(dir, s, PHASE_MIGRATED, err) < 0)
		return -1;
	printf("%s: image store %s complete: %llu files, %.1f MiB in %.2f s\n",
	       s->target, s->store, (unsigned long long)p.entries_done,
	       (double)p.bytes_done / 1048576, (double)(now_ns() - t0) / 1e9);
	return 0;
}

static int store_detach(const char *dir, struct mount_state *s, bool wait,
			struct error **err)
{
	struct migrate_opts o = { .jobs = 1 };

	if (s->phase != PHASE_MIGRATED && s->phase != PHASE_DETACHED) {
		if (!wait)
			return error_set(err, EAGAIN,
					 "the image store is not complete (phase %s): run ovlmig migrate first, or detach --wait",
					 phase_name(s->phase));
		if (store_migrate(dir, s, &o, err) < 0)
			return -1;
	}
	/*
	 * The store is complete: what the kernel still holds in the lazy
	 * layer is evicted (then resolves to the store) or repinned there.
	 */
	return detach_mount(dir, s, false, err);
}

const struct strategy strategy_store = {
	.name = "store",
	.needs = "has no data-only lower layers (datadir+, Linux >= 6.7)",
	.probe = store_probe,
	.opt_in = true,
	.uses_store = true,
	.mount = store_mount,
	.remount = store_remount,
	.migrate = store_migrate,
	.detach = store_detach,
};
