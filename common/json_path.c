// SPDX-License-Identifier: MIT
#include "json_path.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Printable ASCII: control, non-ASCII bytes and '\' as \xNN. */
static char *printable(const char *p)
{
	size_t n = strlen(p), o = 0, i;
	char *out = malloc(4 * n + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

json_t *json_path_shown(const char *path)
{
	json_t *v = json_string(path);	/* NULL when not UTF-8 */
	char *shown;

	if (v)
		return v;
	shown = printable(path);
	v = shown ? json_string(shown) : NULL;
	free(shown);
	return v;
}

json_t *json_path_b64(const char *path)
{
	size_t n = strlen(path);
	char *b64;
	json_t *v;

	if (n > INT32_MAX / 2)	/* EVP_EncodeBlock takes an int */
		return NULL;
	b64 = malloc(4 * ((n + 2) / 3) + 1);
	if (!b64)
		return NULL;
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)path, (int)n);
	v = json_string(b64);
	free(b64);
	return v;
}

int json_path_set(json_t *obj, const char *key, const char *path)
{
	json_t *v = json_string(path), *b64;
	char *b64key;
	int ret;

	if (v)
		return json_object_set_new(obj, key, v);
	/* not UTF-8: a printable form, and the bytes */
	if (asprintf(&b64key, "%s_b64", key) < 0)
		return -1;
	b64 = json_path_b64(path);
	ret = json_object_set_new(obj, b64key, b64);
	free(b64key);
	if (ret < 0)
		return -1;
	return json_object_set_new(obj, key, json_path_shown(path));
}

/* Decode base64 S (RFC 4648 with padding) into a NUL-terminated string. */
static char *from_b64(const char *s, size_t len)
{
	size_t pad = 0;
	char *out;
	int n;

	if (len % 4 || len > (size_t)INT32_MAX)
		return NULL;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	/* EVP_DecodeBlock counts the padding as zero bytes: drop them */
	n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		errno = EINVAL;
		return NULL;
	}
	n -= (int)pad;
	out[n] = '\0';
	if (strlen(out) != (size_t)n) {
		free(out);	/* a NUL byte: not a path */
		errno = EINVAL;
		return NULL;
	}
	return out;
}

char *json_path_get(const json_t *obj, const char *key)
{
	const json_t *v;
	char *b64key, *out;

	if (asprintf(&b64key, "%s_b64", key) < 0)
		return NULL;
	v = json_object_get(obj, b64key);
	free(b64key);
	if (json_is_string(v)) {
		errno = EINVAL;
		return from_b64(json_string_value(v), json_string_length(v));
	}
	v = json_object_get(obj, key);
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		errno = EINVAL;
		return NULL;
	}
	out = strdup(json_string_value(v));
	return out;
}
