// SPDX-License-Identifier: MIT
/*
 * The datadir strategy, for stock kernels (../shared/DESIGN.md): a local
 * metadata layer built from the image, the lazy lower as a data-only
 * layer under it, lowerdir+=META,datadir+=LOWER,metacopy=on,index=on.
 * Migration copies data up; detach drops the kernel's references into
 * the lower, repins what processes hold, then aborts the lower.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../image/tree.h"
#include "../image/source.h"
#include "detach.h"
#include "meta.h"
#include "migrate.h"
#include "overlay.h"
#include "strategy.h"

static bool datadir_probe(const struct overlay_features *f)
{
	return f->data_layers;
}

/* The metadata layer S->meta from the image as the lower shows it. */
static int build_meta(struct mount_state *s, bool fresh_upper,
		      struct error **err)
{
	struct source_opts o = { 0 };
	struct source *src = NULL;
	struct image img;
	char *spec = NULL;
	int ret = -1;

	image_init(&img);
	if (asprintf(&spec, "dir:%s", s->lower) < 0) {
		spec = NULL;
		error_set(err, ENOMEM, "metadata layer");
		goto out;
	}
	if (source_open(spec, &o, &src, err) < 0 ||
	    src->ops->index(src, &img, err) < 0 || image_finalize(&img, err) < 0 ||
	    meta_build(&img, s->meta, err) < 0)
		goto out;
	if (fresh_upper && meta_apply_root(&img, s->upper, err) < 0)
		goto out;
	ret = 0;
out:
	image_free(&img);
	source_close(src);
	free(spec);
	return ret;
}

/* META over the data layer S->lower; a detached upper has none left. */
static int mount_overlay(struct mount_state *s, const char *xino,
			 struct error **err)
{
	const char *datas[] = { s->lower };

	return overlay_mount_meta(s->meta, datas, s->lower ? 1 : 0, s->upper,
				  s->work, xino, s->target, err);
}

static int datadir_mount(struct mount_state *s, bool fresh_upper,
			 const char *xino, struct error **err)
{
	if (build_meta(s, fresh_upper, err) < 0)
		return -1;
	return mount_overlay(s, xino, err);
}

/* Every file is in the upper, every directory's stack in META. */
static int datadir_remount(struct mount_state *s, const char *state_dir,
			   const char *xino, struct error **err)
{
	(void)state_dir;
	return mount_overlay(s, xino, err);
}

const struct strategy strategy_datadir = {
	.name = "datadir",
	.needs = "has no data-only lower layers (datadir+, Linux >= 6.7)",
	.probe = datadir_probe,
	.uses_meta = true,
	.mount = datadir_mount,
	.remount = datadir_remount,
	.migrate = migrate_run,
	.detach = detach_mount,
};
