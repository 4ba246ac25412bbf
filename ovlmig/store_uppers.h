/* SPDX-License-Identifier: MIT */
/*
 * The containers an image of the store serves, mounted or not: each
 * store mount records its upper in ROOT/ID/uppers/<sha256 of the path>.
 * A detached container that is not mounted still needs its image (its
 * upper holds only what it changed), so gc keeps an image while any
 * recorded upper still exists; deleting the container's upper releases
 * it.
 */
#ifndef OVLMIG_STORE_UPPERS_H
#define OVLMIG_STORE_UPPERS_H

#include <jansson.h>

#include "../common/error.h"

/* Record UPPER (absolute) as a container of the image in DIR. */
int store_upper_add(const char *dir, const char *upper, struct error **err);
/*
 * The recorded uppers of the image in DIR that still exist, as a JSON
 * array of paths; records of uppers that are gone are removed.
 */
json_t *store_uppers(const char *dir, struct error **err);

#endif
