/* SPDX-License-Identifier: MIT */
/*
 * The image store of the store strategy: one directory per image on the
 * host, shared by every container of that image.
 *
 *   ROOT/ID/meta.erofs   the metadata layer, one EROFS image built once
 *                        (meta.h), mounted file-backed by each container
 *   ROOT/ID/meta/        the same as a tree, only where the kernel refuses
 *                        the image (or made before there was one)
 *   ROOT/ID/data/        regular files at the paths META's redirects name,
 *                        each one whole (linked in from O_TMPFILE, or
 *                        written in tmp/ and renamed in)
 *   ROOT/ID/tmp/         files being fetched; emptied by each fill
 *   ROOT/ID/image.json   source, id, digest, size, files, state lazy|complete
 *   ROOT/ID/references.json  the sources that mounted it (tags, @digests)
 *   ROOT/ID/uppers/      the containers' uppers it serves (store_uppers.h)
 *   ROOT/ID/use.lock     shared by a mount or fill in progress: gc skips
 *   ROOT/ID/build.lock   one builder of meta/ and image.json
 *   ROOT/ID/fill.lock    one filler of data/
 *
 * ROOT is --store, else $OVLMIG_STORE_DIR, else /var/lib/ovlmig/images.
 */
#ifndef OVLMIG_STORE_H
#define OVLMIG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../image/image.h"
#include "migrate.h"
#include "progress.h"
#include "state.h"
#include "store_lock.h"
#include "store_refs.h"

#define STORE_ROOT_DEFAULT "/var/lib/ovlmig/images"
#define STORE_INFO "image.json"
#define STORE_META_IMAGE "meta.erofs"
#define STORE_META_TREE "meta"
#define STORE_STATE_LAZY "lazy"
#define STORE_STATE_COMPLETE "complete"

/* GIVEN (absolutised), else the environment's, else the default; malloc'd. */
char *store_root(const char *given, struct error **err);

/* Open S's image in-process, with S's cache and lowerfs image options. */
int store_open_image(const struct mount_state *s, struct image_handle **out,
		     struct error **err);

/*
 * The same for a caller that waits for the source as lowerfs' readers do
 * (migrate): the mount's --fetch-grace (default IMAGE_FETCH_GRACE_DEFAULT)
 * rides out an outage; ON_OUTAGE (optional) is told when it begins and ends.
 */
int store_open_image_waiting(const struct mount_state *s,
			     fetch_outage_fn *on_outage, void *arg,
			     struct image_handle **out, struct error **err);

/*
 * The image's directory under ROOT, made if missing, its metadata layer
 * built once (ROOT made private if missing). Holds the directory's
 * use.lock shared until the process exits, so gc leaves it alone while
 * this mount records it. *DIR: ROOT/ID, malloc'd.
 */
int store_prepare(const char *root, struct image_handle *h, const char *source,
		  char **dir, struct error **err);

/*
 * For an image named by its manifest digest (oci:, docker://), found
 * from the manifest alone: *DIR ROOT/ID if the store holds its META image
 * and image.json with the root's attributes (*ROOTATTRS), use-locked as
 * store_prepare does and S's source added to its references; no layer
 * index is read. *DIR NULL when not (or dir:, tar:): open the image and
 * store_prepare.
 */
int store_find(const char *root, const struct mount_state *s, char **dir,
	       struct image_node *rootattrs, struct error **err);

/* Does image.json of DIR say complete? */
bool store_complete(const char *dir);
/* Does ROOT hold H's image complete? */
bool store_image_complete(const char *root, const struct image_handle *h);

/* DIR/meta, META as a tree, made once: for a kernel that refuses the image. */
int store_meta_tree(const char *dir, struct image_handle *h, struct error **err);

/*
 * A guess made before the image is opened (which can take seconds):
 * does ROOT hold a complete image that SOURCE mounted before? The id of
 * the image opened decides what is used; the guess only decides whether
 * lowerfs is started at once, in parallel (no), or only if needed (yes).
 */
bool store_source_complete(const char *root, const char *source);

/* image.json of DIR with "state" set to STATE. */
int store_set_state(const char *dir, const char *state, struct error **err);
/* image.json of DIR, or NULL if it cannot be read. */
json_t *store_info(const char *dir);

/*
 * Fetch every regular file of H missing from DIR/data (in layer byte
 * order), counting in P; then mark the image complete. Resumable: what
 * a killed fill left in tmp/ is removed, files in data/ are kept. A file
 * the lowerfs of mount S (state STATE_DIR) has in its cache is linked
 * from there, not fetched; while that lowerfs fetches a file a process
 * waits on, the fill waits. O->jobs files at once (0: 1), all under
 * O->bandwidth_bps.
 */
int store_fill(const char *dir, struct image_handle *h,
	       const struct mount_state *s, const char *state_dir,
	       const struct migrate_opts *o, struct progress *p,
	       struct error **err);
/* The fill's --jobs default for SOURCE: 4 from a remote one, else 1. */
unsigned store_fill_jobs(const char *source);

#endif
