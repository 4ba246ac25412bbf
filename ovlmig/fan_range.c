// SPDX-License-Identifier: MIT
#include "fan_range.h"

#include <string.h>

#include "fan_kernel.h"

#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif

/* the uapi's struct fanotify_event_info_range (6.14), which old headers lack */
struct range_info {
	struct fanotify_event_info_header hdr;
	uint32_t pad;
	uint64_t offset;
	uint64_t count;
};

bool fan_event_range(const struct fanotify_event_metadata *e, uint64_t *off,
		     uint64_t *count)
{
	size_t pos = e->metadata_len;

	while (pos + sizeof(struct fanotify_event_info_header) <= e->event_len) {
		struct fanotify_event_info_header h;

		memcpy(&h, (const char *)e + pos, sizeof(h));
		if (h.len < sizeof(h) || h.len > e->event_len - pos)
			return false;
		if (h.info_type == FAN_EVENT_INFO_TYPE_RANGE &&
		    h.len >= sizeof(struct range_info)) {
			struct range_info r;

			memcpy(&r, (const char *)e + pos, sizeof(r));
			*off = r.offset;
			*count = r.count;
			return true;
		}
		pos += h.len;
	}
	return false;
}

/* NAME (the last part of RELPATH) like "libx.so" or "libx.so.1.2" */
static bool library_name(const char *relpath)
{
	const char *name = strrchr(relpath, '/');
	size_t n;

	name = name ? name + 1 : relpath;
	n = strlen(name);
	return (n > 3 && !strcmp(name + n - 3, ".so")) || strstr(name, ".so.");
}

int fan_range_fill(struct image_handle *h, uint32_t node, const char *relpath,
		   uint64_t min)
{
	const struct image_node *n = &image_tree(h)->nodes[node];
	struct error *err = NULL;
	unsigned char magic[4];

	if (!min)
		min = FAN_RANGE_MIN_DEFAULT;
	if (n->size < min || (n->mode & 0111) || library_name(relpath))
		return 0;
	if (image_read(h, node, 0, magic, sizeof(magic), &err) != sizeof(magic)) {
		error_free(&err);
		return -1;
	}
	return memcmp(magic, "\177ELF", 4) != 0;
}

uint64_t fan_range_end(uint64_t off, uint64_t count, uint64_t size)
{
	uint64_t end;

	if (off >= size)
		return 0;
	end = count > size - off ? size : off + count;
	/* no overflow: end <= size, and size < 2^63 for any file */
	end = (end + FAN_RANGE_GRAIN - 1) / FAN_RANGE_GRAIN * FAN_RANGE_GRAIN;
	return end < size ? end : size;
}
