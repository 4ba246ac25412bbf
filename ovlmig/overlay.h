/* SPDX-License-Identifier: MIT */
/* Overlay mounts with the new mount API, and kernel feature probes. */
#ifndef OVLMIG_OVERLAY_H
#define OVLMIG_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"

struct overlay_cfg {
	const char *const *lowers;	/* lowerdir+ layers, top first */
	size_t nlowers;
	const char *const *datas;	/* datadir+ data-only layers */
	size_t ndatas;
	const char *upper, *work;
	/* further "key=value" or "flag" options, e.g. "metacopy=on" */
	const char *const *options;
	size_t noptions;
};

/*
 * Mount an overlay at TARGET. Paths go one per fsconfig call, so ',' and
 * ':' in them need no escaping. The kernel's own message is in the error.
 */
int overlay_mount(const struct overlay_cfg *cfg, const char *target,
		  struct error **err);

/*
 * The overlay of the strategies with a metadata layer: META the only
 * lower layer, over the data-only layers DATAS, top first (none for a
 * detached upper); metacopy for META's files, redirect_dir, and index=on
 * so hardlinks stay whole across copy-up. XINO: a "xino=" value, or
 * NULL for the kernel's default.
 */
int overlay_mount_meta(const char *meta, const char *const *datas, size_t ndatas,
		       const char *upper, const char *work, const char *xino,
		       const char *target, struct error **err);

/* Kernel features, probed with throwaway mounts on a private tmpfs. */
struct overlay_features {
	bool xino_nofollow;	/* the out-of-tree option of the original design */
	bool data_layers;	/* datadir+ (Linux >= 6.5 / 6.7 new API) */
	bool fuse_passthrough;	/* FUSE offers passthrough (fuse_probe.h) */
};

int overlay_probe(struct overlay_features *f, struct error **err);

#endif
