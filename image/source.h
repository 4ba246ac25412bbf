/* SPDX-License-Identifier: MIT */
/*
 * Sources: where an image's metadata and data come from. Each kind of
 * source (a local directory now; tar layers and registries later) fills
 * the image once and then hands out file data on request. The FUSE code
 * only ever talks to this interface.
 */
#ifndef IMAGE_SOURCE_H
#define IMAGE_SOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stdint.h>

#include "../common/error.h"
#include "fetch.h"
#include "tree.h"

/* Emulation of a remote link, so local sources behave lazily in tests. */
struct link_emulation {
	uint64_t latency_ns;		/* added once per fetch */
	uint64_t bandwidth_bps;		/* bytes per second; 0: unlimited */
	pthread_mutex_t lock;
	uint64_t next_free_ns;		/* when the shared link is free again */
};

struct source_opts {
	uint64_t latency_ms;
	uint64_t bandwidth_mbps;	/* megabytes (10^6) per second */
	/* remote images (tar:, oci:, docker://) */
	const char *cache_dir;		/* chunk cache and index cache live here */
	const char **index_files;	/* --index: matched by digest, else by position */
	size_t nindex_files;
	const char *platform;		/* "os/arch[/variant]"; NULL: this machine's */
	bool insecure;			/* no TLS verification; http:// registries */
	uint64_t fetch_grace_ms;	/* fetch_opts.grace_ms: ride out an outage */
	fetch_outage_fn *on_outage;	/* fetch_opts.on_outage */
	void *on_outage_arg;
	/*
	 * oci:, docker://: an image store's root (ovlmig strategy store).
	 * The image's saved tree (saved_tree.h), ROOT/sha256-HEX/tree.saved
	 * by the manifest digest, is loaded instead of reading the layer
	 * indexes when it is this image's and whole, else written once they
	 * are read (if the entry is there). NULL: none.
	 */
	const char *store_root;
	/*
	 * docker://: the prefetch list published with the image is wanted
	 * (lowerfs with a cache and no --prefetch-list): fetch it as soon as
	 * the registry names it, alongside the mount's other fetches, for
	 * prefetch_list to hand over without a round trip after the mount.
	 */
	bool prefetch_list_early;
};

struct source;

/* Data handed on in order, LEN bytes at a time: 0, or -1 with *ERR set. */
typedef int (*source_sink_fn)(void *ctx, const void *buf, size_t len,
			      struct error **err);

struct source_ops {
	const char *scheme;		/* "dir" in "dir:PATH" */
	const char *help;
	/* Cheap: parse ARG. The work (network, indexing) belongs in index. */
	int (*open)(const char *arg, const struct source_opts *opts,
		    struct source **out, struct error **err);
	/* Add every entry to IMG, root first. */
	int (*index)(struct source *s, struct image *img, struct error **err);
	/* Write the whole data of regular file NODE to FD from offset 0. */
	int (*fetch)(struct source *s, const struct image *img, uint32_t node,
		     int fd, struct error **err);
	/*
	 * Optional: the same handed to SINK in order (the cache hashes the
	 * bytes as it writes them, instead of reading the file back).
	 */
	int (*fetch_sink)(struct source *s, const struct image *img,
			  uint32_t node, source_sink_fn sink, void *ctx,
			  struct error **err);
	/*
	 * Optional: a read-only fd holding NODE's data in place, for local
	 * sources served without a cache. Returns the fd or -1.
	 */
	int (*open_local)(struct source *s, const struct image *img,
			  uint32_t node, struct error **err);
	/*
	 * Optional, for files too large to fetch whole: LEN bytes of NODE at
	 * OFF into BUF (fewer only at the end of the file); bytes or -1.
	 */
	ssize_t (*read)(struct source *s, const struct image *img, uint32_t node,
			uint64_t off, void *buf, size_t len, struct error **err);
	/*
	 * Optional: where NODE's data lies, layer LAYER (0: lowest) at OFF
	 * in its uncompressed stream, so a whole-image fill can fetch in
	 * each layer's byte order. 0, or -1 with *ERR set.
	 */
	int (*locate)(struct source *s, const struct image *img, uint32_t node,
		      uint32_t *layer, uint64_t *off, struct error **err);
	/* Optional: make NODE's data local without reading it (prefetch). */
	int (*warm)(struct source *s, const struct image *img, uint32_t node,
		    struct error **err);
	/*
	 * Optional: the compressed bytes [*START, *END) of layer *LAYER
	 * that fetching NODE reads, where that is known exactly (a layer
	 * read through its own TOC): 1, else 0; -1 with *ERR set. Files
	 * whose extents lie close together can then be fetched in one
	 * request (fetch_extent) before each is read.
	 */
	int (*extent)(struct source *s, const struct image *img, uint32_t node,
		      uint32_t *layer, uint64_t *start, uint64_t *end,
		      struct error **err);
	/* Optional, with extent: fetch [START, END) of LAYER into the cache. */
	int (*fetch_extent)(struct source *s, uint32_t layer, uint64_t start,
			    uint64_t end, struct error **err);
	/* Optional: counters for `lowerfs ctl stats`, a new JSON object. */
	struct json_t *(*stats)(struct source *s);
	/*
	 * Optional: "sha256:..." of the image manifest the entries come from
	 * (oci, docker), valid after index; NULL when there is none.
	 */
	const char *(*digest)(struct source *s);
	/*
	 * Optional: the prefetch list published with the image (its
	 * registry's index artifact), *buf malloc'd; *buf NULL when none.
	 * Network round trips: call it off the mount's path.
	 */
	int (*prefetch_list)(struct source *s, char **buf, size_t *len,
			     struct error **err);
	/* Optional: IMG (from index) as a saved tree at PATH (saved_tree.h). */
	int (*save_tree)(struct source *s, const struct image *img,
			 const char *path, struct error **err);
	/* Optional: the remote source's reachability and fetch errors. */
	int (*health)(struct source *s, struct fetch_health *out,
		      struct error **err);
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	struct link_emulation link;
};

/* Parse "SCHEME:ARG" and open the matching source. */
int source_open(const char *spec, const struct source_opts *opts,
		struct source **out, struct error **err);
void source_close(struct source *s);
/* "dir:PATH  a local directory taken as the image\n..." for --help. */
void source_print_help(FILE *f);

/* Account LEN bytes against the emulated link, sleeping as needed. */
void link_transfer(struct link_emulation *l, uint64_t len);
void link_round_trip(struct link_emulation *l);

extern const struct source_ops source_dir_ops;
extern const struct source_ops source_tar_ops;
extern const struct source_ops source_oci_ops;
extern const struct source_ops source_docker_ops;

#endif
