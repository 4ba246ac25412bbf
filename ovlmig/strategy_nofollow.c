// SPDX-License-Identifier: MIT
/*
 * The nofollow strategy, the design's own (kernel/README.md): overlayfs
 * with xino=nofollow straight over the lazy lower. Not written yet: with
 * no functions, auto passes it over and naming it is refused.
 */
#include "strategy.h"

static bool nofollow_probe(const struct overlay_features *f)
{
	return f->xino_nofollow;
}

const struct strategy strategy_nofollow = {
	.name = "nofollow",
	.needs = "rejects xino=nofollow (an out-of-tree patch, see kernel/)",
	.probe = nofollow_probe,
};
