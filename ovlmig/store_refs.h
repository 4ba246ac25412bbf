/* SPDX-License-Identifier: MIT */
/* The references (source strings) that mounted an image in the store. */
#ifndef OVLMIG_STORE_REFS_H
#define OVLMIG_STORE_REFS_H

#include <jansson.h>

#include "../common/error.h"

/* Add REF to the references of the image in DIR, once. */
int store_ref_add(const char *dir, const char *ref, struct error **err);
/* The references of DIR (a JSON array), or NULL if none are recorded. */
json_t *store_refs(const char *dir);

#endif
