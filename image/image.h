/* SPDX-License-Identifier: MIT */
/*
 * The image as a library: no FUSE, no mounts. Open a SOURCE ("dir:PATH",
 * "tar:L1,L2", "oci:DIR[:TAG]", "docker://REG/NAME:TAG"), walk and look
 * up its entries, read a range of a file, fetch a whole file into a
 * directory. lowerfs serves an image over FUSE with this; ovlmig and the
 * tools use it without a mount. Logging goes to the hook set with
 * image_set_log() (log.h).
 */
#ifndef IMAGE_IMAGE_H
#define IMAGE_IMAGE_H

#include <stdint.h>
#include <sys/types.h>

#include "../common/error.h"
#include "digest.h"
#include "log.h"
#include "source.h"
#include "tree.h"

struct image_handle;

/* Open SPEC and read its whole metadata (network, indexing) once. */
int image_open(const char *spec, const struct source_opts *opts,
	       struct image_handle **out, struct error **err);
void image_close(struct image_handle *h);

/* The entries: immutable until image_close(); image_lookup_path() finds one. */
const struct image *image_tree(const struct image_handle *h);
/*
 * "sha256:..." of the manifest the image was read from (oci:, docker://:
 * the platform's manifest), or NULL (dir:, tar:). Lives as long as H.
 */
const char *image_digest(const struct image_handle *h);
/*
 * The digest image_digest() will give for SPEC opened with OPTS, read
 * from the manifest alone (no layer index): OUT "" for dir: and tar:.
 */
int image_peek_digest(const char *spec, const struct source_opts *opts,
		      char out[DIGEST_STRLEN + 1], struct error **err);
/*
 * The tree as a saved tree at PATH (saved_tree.h), written durably, for
 * a later lowerfs of the image; ENOTSUP for sources without one (dir:,
 * tar:, whose trees are read whole anyway).
 */
int image_save_tree(struct image_handle *h, const char *path,
		    struct error **err);
/* The source, for what the tree does not say (stats). */
struct source *image_source(const struct image_handle *h);

/*
 * Call FN for every node, parents before their entries (node order);
 * stops at the first nonzero return of FN and returns it.
 */
typedef int image_walk_fn(const struct image *img, uint32_t node, void *arg);
int image_walk(const struct image_handle *h, image_walk_fn *fn, void *arg);

/* LEN bytes of regular file NODE at OFF (fewer only at its end), or -1. */
ssize_t image_read(struct image_handle *h, uint32_t node, uint64_t off,
		   void *buf, size_t len, struct error **err);

/*
 * The whole data of regular file NODE as a new file NAME (one name, mode
 * 0600) in DIRFD; nothing is left there on failure.
 */
int image_fetch(struct image_handle *h, uint32_t node, int dirfd,
		const char *name, struct error **err);
/* The same into FD, a new empty file open for writing (an O_TMPFILE). */
int image_fetch_fd(struct image_handle *h, uint32_t node, int fd,
		   struct error **err);
/*
 * Where regular file NODE's data lies in the source: layer and offset in
 * its uncompressed stream (fetching in that order streams each layer
 * forward). -1 with ENOTSUP when the source cannot say (a directory).
 */
int image_locate(struct image_handle *h, uint32_t node, uint32_t *layer,
		 uint64_t *off, struct error **err);
/*
 * Make regular file NODE's data local without reading it (the source's
 * cache; a fetch of it then waits for these bytes instead of asking for
 * them again). -1 with ENOTSUP when the source has no such cache.
 */
int image_warm(struct image_handle *h, uint32_t node, struct error **err);

#endif
