/* SPDX-License-Identifier: MIT */
/*
 * Paths in JSON replies. Names are bytes, JSON strings are UTF-8: a path
 * that is not UTF-8 is sent as KEY in printable ASCII (every other byte as
 * \xNN: for people and logs) plus KEY_b64, its exact bytes in base64
 * (RFC 4648, with padding). A reader takes KEY_b64 when it is there.
 */
#ifndef COMMON_JSON_PATH_H
#define COMMON_JSON_PATH_H

#include <jansson.h>

/* Set KEY of OBJ to PATH as above: 0, or -1 (ENOMEM). */
int json_path_set(json_t *obj, const char *key, const char *path);
/* PATH as a JSON value for an array: the printable form when not UTF-8. */
json_t *json_path_shown(const char *path);
/* Base64 of PATH, or NULL (ENOMEM). */
json_t *json_path_b64(const char *path);
/*
 * The exact bytes of KEY of OBJ, malloc'd: from KEY_b64 when present,
 * else KEY. NULL with errno EINVAL (missing, not base64, a NUL byte) or
 * ENOMEM.
 */
char *json_path_get(const json_t *obj, const char *key);

#endif
