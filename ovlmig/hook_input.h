/* SPDX-License-Identifier: MIT */
/*
 * What the OCI hook reads, checked: the runtime's state document and the
 * bundle's config.json. Pure parsing, no file access, so it can be
 * fuzzed (tests/fuzz/fuzz_hook_input.c).
 */
#ifndef OVLMIG_HOOK_INPUT_H
#define OVLMIG_HOOK_INPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"

struct hook_input {
	char *id;
	char *bundle;		/* absolute */
	char *rootfs;		/* absolute, no ".." */
	json_t *annotations;	/* an object or NULL; owned */
	bool required;		/* io.ovlmig.required: failures fail the container */
};

/* The state on stdin: "id" (a safe name), "bundle" (absolute), "annotations". */
int hook_input_state(struct hook_input *in, const char *text, size_t len,
		     struct error **err);
/* config.json: root.path (relative to the bundle or absolute, never ".."),
 * and the annotations if the state had none. */
int hook_input_config(struct hook_input *in, const char *text, size_t len,
		      struct error **err);
void hook_input_free(struct hook_input *in);

#endif
