// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the OCI hook's input checks. The same bytes go to
 * the state parser and to the config.json parser; whatever they accept
 * must satisfy the invariants the hook relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ovlmig/hook_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hook_input in = { 0 };
	struct error *err = NULL;

	if (hook_input_state(&in, (const char *)data, size, &err) == 0) {
		if (in.bundle[0] != '/' || strstr(in.id, "/"))
			abort();
	}
	error_free(&err);
	if (!in.bundle)
		in.bundle = strdup("/bundle");
	if (hook_input_config(&in, (const char *)data, size, &err) == 0) {
		const char *p = in.rootfs;

		/* never a rootfs outside what the config names, never ".." */
		if (p[0] != '/')
			abort();
		for (; (p = strstr(p, "..")); p += 2)
			if ((p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
				abort();
	}
	error_free(&err);
	hook_input_free(&in);
	return 0;
}
