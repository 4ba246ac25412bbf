/* SPDX-License-Identifier: MIT */
/*
 * The kernel's overlay and FUSE features, probed once per boot. The probe
 * (overlay_probe: a child mounting a tmpfs, overlays and a FUSE
 * connection) costs about 0.15 s of every mount, and what it finds
 * cannot change while the kernel runs. Its result is kept in
 * RUN_ROOT/.kernel-features.json keyed by the boot id and the kernel
 * release; a file of another boot or kernel, unreadable or malformed, is
 * probed again and replaced. OVLMIG_REPROBE=1 (or `mount --reprobe`)
 * always probes.
 */
#ifndef OVLMIG_PROBE_CACHE_H
#define OVLMIG_PROBE_CACHE_H

#include <stdbool.h>

#include "../common/error.h"
#include "overlay.h"

#define PROBE_CACHE_FILE ".kernel-features.json"

/*
 * F for this kernel, from the file kept for this boot or a new probe
 * (always a new one with REPROBE or OVLMIG_REPROBE=1).
 */
int overlay_probe_cached(struct overlay_features *f, bool reprobe,
			 struct error **err);

#endif
