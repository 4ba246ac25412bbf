// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: lowerfs' control-socket protocol. Any request line
 * gets one JSON reply and nothing else happens, on a server with a small
 * image and no mount.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lowerfs/control_server.h"

static struct lowerfs *server(void)
{
	static struct lowerfs fs;
	static int ready;
	struct image_attr dir = { .mode = S_IFDIR | 0755 };
	struct image_attr file = { .mode = S_IFREG | 0644, .size = 3 };
	struct error *err = NULL;
	uint32_t n;

	if (ready)
		return &fs;
	fs.devfd = -1;
	fs.wake_fd = eventfd(0, EFD_NONBLOCK);
	fs.opts.source_spec = "dir:/nowhere";
	fs.opts.mountpoint = "/nowhere";
	image_init(&fs.img);
	if (image_add_root(&fs.img, &dir, &err) < 0 ||
	    image_add(&fs.img, 0, "f", &file, &n, &err) < 0 ||
	    image_finalize(&fs.img, &err) < 0 || nodes_init(&fs, &err) < 0)
		abort();
	ready = 1;
	return &fs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lowerfs *fs = server();
	json_t *reply = control_handle(fs, (const char *)data, size);

	if (!reply || !json_is_object(reply))
		abort();
	json_decref(reply);
	return 0;
}
