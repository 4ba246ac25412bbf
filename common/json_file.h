/* SPDX-License-Identifier: MIT */
/* Small JSON files (state, jobs, progress), written whole. */
#ifndef OVLMIG_JSON_FILE_H
#define OVLMIG_JSON_FILE_H

#include <jansson.h>
#include <sys/types.h>

#include "error.h"

/*
 * DOC to PATH with file_replace() (mode 0644; FLAGS as there), dumped
 * with jansson's DUMP_FLAGS. DOC NULL means it could not be made: ENOMEM.
 */
int json_file_replace(const char *path, const json_t *doc, size_t dump_flags,
		      unsigned flags, struct error **err);

/*
 * The JSON document NAME in DIR if it is there, parses and is of TYPE
 * (JSON_OBJECT, JSON_ARRAY); else NULL: callers treat a missing, torn or
 * foreign file alike, as absent.
 */
json_t *json_file_load(const char *dir, const char *name, json_type type);

#endif
