/* SPDX-License-Identifier: MIT */
/*
 * The images in a store (store.h) and who uses them: `ovlmig images`
 * and `ovlmig gc`. A user is a managed mount (a state under the run
 * directory) whose strategy is store and whose state names the image; a
 * container is an upper that was mounted on it and still exists, mounted
 * or not (store_uppers.h).
 */
#ifndef OVLMIG_STORE_IMAGES_H
#define OVLMIG_STORE_IMAGES_H

#include <jansson.h>

#include "../common/error.h"

/*
 * The images under ROOT: a JSON array of {id, dir, source, size, files,
 * state, users: [targets], containers: [uppers]}; empty when ROOT does
 * not exist.
 */
json_t *store_images(const char *root, struct error **err);

/*
 * The managed mounts that use no image under ROOT: a JSON array of
 * {target, strategy} (datadir and nofollow keep the image in each
 * container's upper; a store mount of another store root).
 */
json_t *store_other_mounts(const char *root, struct error **err);

/*
 * Remove every image under ROOT that no managed mount uses, no existing
 * container upper needs and no mount or fill has locked: renamed to a trash name first (so a crash leaves
 * no half-removed image under its name), then removed; trash a crashed
 * gc left is removed too. *REMOVED and *KEPT: arrays of {id, why}.
 */
int store_gc(const char *root, json_t **removed, json_t **kept,
	     struct error **err);

#endif
