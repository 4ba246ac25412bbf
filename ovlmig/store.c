// SPDX-License-Identifier: MIT
/* The per-image store: its place, its image, its metadata layer (store.h). */
#include "store.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/json_file.h"
#include "../common/private_dir.h"
#include "../common/util.h"
#include "../control/image_options.h"
#include "../image/digest.h"
#include "../image/saved_tree.h"
#include "meta.h"
#include "paths.h"
#include "store_id.h"

/* The use lock a mount holds until it exits (see store_prepare). */
static int held_use_fd = -1;

char *store_root(const char *given, struct error **err)
{
	const char *env = getenv("OVLMIG_STORE_DIR");
	const char *root = given ? given : env && *env ? env : STORE_ROOT_DEFAULT;
	char *abs = absolute_path(root, err);

	if (!abs)
		error_wrap(err, "image store %s", root);
	return abs;
}

/*
 * The lowerfs options that say which image to read: --index, --platform,
 * --insecure; --fetch-grace too, kept only where the caller waits.
 * O->index_files is the caller's to free, on success only.
 */
static int image_opts(char **args, struct source_opts *o, bool wait,
		      struct error **err)
{
	const char **files;
	uint64_t grace = IMAGE_FETCH_GRACE_DEFAULT;

	for (; args && *args; args++) {
		if (!strcmp(*args, "--insecure")) {
			o->insecure = true;
		} else if (!strcmp(*args, "--platform") && args[1]) {
			o->platform = *++args;
		} else if (!strcmp(*args, "--fetch-grace") && args[1]) {
			if (parse_u64(*++args, 0, 24 * 3600, &grace) < 0) {
				error_set(err, errno, "bad --fetch-grace '%s'", *args);
				goto fail;
			}
		} else if (!strcmp(*args, "--index") && args[1]) {
			files = reallocarray(o->index_files, o->nindex_files + 1,
					     sizeof(*files));
			if (!files) {
				error_set(err, ENOMEM, "image options");
				goto fail;
			}
			files[o->nindex_files++] = *++args;
			o->index_files = files;
		}
	}
	o->fetch_grace_ms = wait ? grace * 1000 : 0;
	return 0;
fail:
	free(o->index_files);
	o->index_files = NULL;
	return -1;
}

static int open_image(const struct mount_state *s, struct source_opts *o,
		      bool wait, struct image_handle **out, struct error **err)
{
	int ret;

	if (!s->source)
		return error_set(err, EINVAL, "strategy store needs --source");
	if (image_opts(s->lower_args, o, wait, err) < 0)
		return -1;
	ret = image_open(s->source, o, out, err);
	free(o->index_files);
	if (ret < 0)
		error_wrap(err, "open image %s", s->source);
	return ret;
}

int store_open_image(const struct mount_state *s, struct image_handle **out,
		     struct error **err)
{
	struct source_opts o = { .cache_dir = s->cache };

	return open_image(s, &o, false, out, err);
}

int store_open_image_waiting(const struct mount_state *s,
			     fetch_outage_fn *on_outage, void *arg,
			     struct image_handle **out, struct error **err)
{
	struct source_opts o = {
		.cache_dir = s->cache,
		.on_outage = on_outage, .on_outage_arg = arg,
	};

	return open_image(s, &o, true, out, err);
}

/* The use lock taken, on the directory still at DIR (gc renames away). */
static int hold_use(const char *dir, struct error **err)
{
	char *path = path_join(dir, "use.lock");
	struct stat a, b;
	int fd, tries, ret = -1;

	if (!path)
		return error_set(err, ENOMEM, "lock %s", dir);
	for (tries = 0; tries < 5; tries++) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			error_set(err, errno, "create %s", dir);
			break;
		}
		if (store_use_lock(dir, false, &fd, err) < 0) {
			if ((*err)->errnum != ENOENT)
				break;
			error_free(err);	/* gc renamed it after our mkdir */
			continue;
		}
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			if (held_use_fd >= 0)
				close(held_use_fd);
			held_use_fd = fd;
			ret = 0;
			break;
		}
		close(fd);	/* gc took it away meanwhile: make it again */
	}
	if (ret < 0 && !*err)
		error_set(err, EAGAIN, "lock %s: removed again and again", dir);
	free(path);
	return ret;
}

json_t *store_info(const char *dir)
{
	return json_file_load(dir, STORE_INFO, JSON_OBJECT);
}

/* Is DIR's image complete, and SOURCE one of the references that mounted it? */
static bool complete_with_ref(const char *dir, const char *source)
{
	json_t *info = store_info(dir), *refs = NULL, *ref;
	bool yes = info && !strcmp(json_string_value(json_object_get(info, "state")) ?: "",
				   STORE_STATE_COMPLETE);
	size_t i;

	if (yes) {
		refs = store_refs(dir);
		yes = !strcmp(json_string_value(json_object_get(info, "source")) ?: "", source);
		json_array_foreach(refs, i, ref)
			yes = yes || !strcmp(json_string_value(ref) ?: "", source);
	}
	json_decref(refs);
	json_decref(info);
	return yes;
}

bool store_source_complete(const char *root, const char *source)
{
	DIR *d = opendir(root);
	struct dirent *e;
	bool yes = false;
	char *dir;

	while (d && !yes && (e = readdir(d))) {
		if (e->d_name[0] == '.')	/* ., .., .gc-ID */
			continue;
		dir = path_join(root, e->d_name);
		yes = dir && complete_with_ref(dir, source);
		free(dir);
	}
	if (d)
		closedir(d);
	return yes;
}

static int info_write(const char *dir, json_t *doc, struct error **err)
{
	char *path = path_join(dir, STORE_INFO);
	int ret;

	if (!path)
		return error_set(err, ENOMEM, "%s", dir);
	ret = json_file_replace(path, doc, JSON_INDENT(2), FILE_DURABLE, err);
	free(path);
	return ret;
}

int store_set_state(const char *dir, const char *state, struct error **err)
{
	json_t *doc = store_info(dir);
	int ret;

	if (!doc)
		return error_set(err, EINVAL, "%s/%s: unreadable", dir, STORE_INFO);
	ret = json_object_set_new(doc, "state", json_string(state)) < 0 ?
	      error_set(err, ENOMEM, "%s", dir) : info_write(dir, doc, err);
	json_decref(doc);
	return ret;
}

/* The EROFS UUID of image ID ("sha256-HEX"): its first 16 bytes. */
static void id_uuid(const char *id, uint8_t uuid[16])
{
	const char *hex = strchr(id, '-') ? strchr(id, '-') + 1 : id;
	size_t i;

	memset(uuid, 0, 16);
	for (i = 0; i < 16 && sscanf(hex + 2 * i, "%2hhx", &uuid[i]) == 1; i++)
		;
	uuid[15] |= 1;		/* never the null UUID */
}

/* meta/, the metadata layer as a tree; a build killed half-way left its
 * tree under the temporary name. */
static int build_tree(const char *dir, const struct image *img, struct error **err)
{
	char *meta = path_join(dir, STORE_META_TREE), *tmp = path_join(dir, ".meta.new");
	int ret = -1;

	if (!meta || !tmp) {
		error_set(err, ENOMEM, "%s", dir);
		goto out;
	}
	if (access(meta, F_OK) == 0) {
		ret = 0;
		goto out;
	}
	if (remove_tree(tmp, err) < 0 || meta_build(img, tmp, err) < 0)
		goto out;
	if (rename(tmp, meta) < 0) {
		error_set(err, errno, "rename %s to %s", tmp, meta);
		goto out;
	}
	ret = 0;
out:
	free(meta);
	free(tmp);
	return ret;
}

/* meta.erofs, the metadata layer as one image file */
static int build_image(const char *dir, const char *id, const struct image *img,
		       struct error **err)
{
	char *meta = path_join(dir, STORE_META_IMAGE);
	uint8_t uuid[16];
	int ret;

	if (!meta)
		return error_set(err, ENOMEM, "%s", dir);
	id_uuid(id, uuid);
	ret = access(meta, F_OK) == 0 ? 0 : meta_build_erofs(img, uuid, meta, err);
	free(meta);
	return ret;
}

/*
 * The root's attributes, which a container's fresh upper takes (META's
 * root is root's alone): kept in image.json so that a later container
 * finds them without opening the image. NULL (not kept) for a root with
 * xattrs: such an image is opened for them.
 */
static json_t *root_attrs(const struct image *img)
{
	const struct image_node *r = &img->nodes[0];

	if (!img->count || r->nxattrs)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:[I,I], s:[I,I]}", "mode", (json_int_t)r->mode,
			 "uid", (json_int_t)r->uid, "gid", (json_int_t)r->gid,
			 "atime", (json_int_t)r->atime.tv_sec, (json_int_t)r->atime.tv_nsec,
			 "mtime", (json_int_t)r->mtime.tv_sec, (json_int_t)r->mtime.tv_nsec);
}

/* The root's attributes from image.json INFO into *R, if kept and sound. */
static bool root_from_info(json_t *info, struct image_node *r)
{
	json_int_t mode, uid, gid, as, an, ms, mn;

	if (json_unpack(json_object_get(info, "root"), "{s:I, s:I, s:I, s:[I,I], s:[I,I]}",
			"mode", &mode, "uid", &uid, "gid", &gid, "atime", &as, &an,
			"mtime", &ms, &mn) < 0)
		return false;
	if (mode < 0 || mode > 0xffff || !S_ISDIR((mode_t)mode) || uid < 0 ||
	    uid > UINT32_MAX - 1 || gid < 0 || gid > UINT32_MAX - 1 ||
	    an < 0 || an >= 1000000000 || mn < 0 || mn >= 1000000000)
		return false;
	memset(r, 0, sizeof(*r));
	r->mode = (mode_t)mode;
	r->uid = (uid_t)uid;
	r->gid = (gid_t)gid;
	r->atime = (struct timespec){ .tv_sec = (time_t)as, .tv_nsec = (long)an };
	r->mtime = (struct timespec){ .tv_sec = (time_t)ms, .tv_nsec = (long)mn };
	return true;
}

/* META (an image file, or a tree if TREE) and image.json, made once, by
 * whoever holds build.lock first. */
static int build_once(const char *dir, const char *id, struct image_handle *h,
		      const char *source, bool tree, struct error **err)
{
	const struct image *img = image_tree(h);
	char *info = path_join(dir, STORE_INFO);
	json_t *doc = NULL;
	int fd = -1, ret = -1;

	if (!info) {
		error_set(err, ENOMEM, "%s", dir);
		goto out;
	}
	if (store_lock(dir, "build.lock", LOCK_EX, &fd, err) < 0)
		goto out;
	if (tree ? build_tree(dir, img, err) < 0 : build_image(dir, id, img, err) < 0)
		goto out;
	if (access(info, F_OK) < 0) {
		doc = json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:s, s:o*}", "id", id,
				"digest", image_digest(h), "source", source,
				"size", (json_int_t)img->total_bytes,
				"files", (json_int_t)img->nregular,
				"state", STORE_STATE_LAZY, "root", root_attrs(img));
		if (!doc) {
			error_set(err, ENOMEM, "%s", info);
			goto out;
		}
		if (info_write(dir, doc, err) < 0)
			goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	json_decref(doc);
	free(info);
	return ret;
}

int store_meta_tree(const char *dir, struct image_handle *h, struct error **err)
{
	const char *id = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;

	if (build_once(dir, id, h, NULL, true, err) < 0)
		return error_wrap(err, "image store %s", dir);
	return 0;
}

/*
 * The tree ovlmig just read, saved for the image's later lowerfs (a
 * lowerfs started before the entry was there could not). Best effort:
 * without it a lowerfs reads the indexes and saves it itself.
 */
static void save_tree_once(const char *dir, struct image_handle *h)
{
	char *path = path_join(dir, SAVED_TREE_FILE);
	struct error *err = NULL;

	if (path && access(path, F_OK) < 0 && errno == ENOENT &&
	    image_save_tree(h, path, &err) < 0 && err->errnum != ENOTSUP)
		error_report(&err, "ovlmig: not saving the image's tree", stderr);
	error_free(&err);
	free(path);
}

/*
 * The saved tree written beside META's build, on the other core: both
 * only read the image. Joined before store_prepare returns.
 */
struct tree_saver {
	const char *dir;
	struct image_handle *h;
	pthread_t thread;
	bool started;
};

static void *tree_saver_main(void *arg)
{
	struct tree_saver *sv = arg;

	save_tree_once(sv->dir, sv->h);
	return NULL;
}

static void tree_saver_start(struct tree_saver *sv, const char *dir,
			     struct image_handle *h)
{
	sv->dir = dir;
	sv->h = h;
	sv->started = pthread_create(&sv->thread, NULL, tree_saver_main, sv) == 0;
}

static void tree_saver_join(struct tree_saver *sv)
{
	if (sv->started)
		pthread_join(sv->thread, NULL);
	else if (sv->dir)
		save_tree_once(sv->dir, sv->h);	/* no thread: here */
	sv->started = false;
	sv->dir = NULL;
}

int store_prepare(const char *root, struct image_handle *h, const char *source,
		  char **dir, struct error **err)
{
	char id[STORE_ID_LEN + 1], *data = NULL;
	struct tree_saver saver = { 0 };
	int ret = -1;

	*dir = NULL;
	if (make_dirs(root, 0700, err) < 0 ||
	    dir_check_private("image store", root, err) < 0)
		return -1;
	if (store_image_id(h, id, err) < 0)
		return -1;
	*dir = path_join(root, id);
	data = *dir ? path_join(*dir, "data") : NULL;
	if (!data) {
		error_set(err, ENOMEM, "image store %s", root);
		goto out;
	}
	if (hold_use(*dir, err) < 0)
		goto out;
	tree_saver_start(&saver, *dir, h);
	if (build_once(*dir, id, h, source, false, err) < 0 ||
	    store_ref_add(*dir, source, err) < 0)
		goto out;
	tree_saver_join(&saver);
	if (mkdir(data, 0700) < 0 && errno != EEXIST) {
		error_set(err, errno, "create %s", data);
		goto out;
	}
	ret = 0;
out:
	if (saver.started)	/* a failed build: the tree it saves is good */
		pthread_join(saver.thread, NULL);
	if (ret < 0) {
		error_wrap(err, "image store %s", *dir ? *dir : root);
		free(*dir);
		*dir = NULL;
	}
	free(data);
	return ret;
}

/* Is DIR's META image there, its image.json with the root's attributes? */
static bool built(const char *dir, struct image_node *root)
{
	char *meta = path_join(dir, STORE_META_IMAGE);
	json_t *info = store_info(dir);
	bool yes = meta && info && access(meta, F_OK) == 0 && root_from_info(info, root);

	json_decref(info);
	free(meta);
	return yes;
}

int store_find(const char *root, const struct mount_state *s, char **dir,
	       struct image_node *rootattrs, struct error **err)
{
	struct source_opts o = { .cache_dir = s->cache };
	char digest[DIGEST_STRLEN + 1], *path = NULL;
	int ret;

	*dir = NULL;
	if (image_opts(s->lower_args, &o, false, err) < 0)
		return -1;
	ret = image_peek_digest(s->source, &o, digest, err);
	free(o.index_files);
	if (ret < 0)
		return error_wrap(err, "image %s", s->source);
	if (!digest[0] || !digest_valid(digest))
		return 0;	/* no manifest: the id is the whole tree's */
	if (dir_check_private("image store", root, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		error_free(err);	/* none yet: store_prepare makes it */
		return 0;
	}
	if (asprintf(&path, "%s/sha256-%s", root, digest + 7) < 0)
		return error_set(err, ENOMEM, "image store %s", root);
	/*
	 * Checked again under the use lock: gc may have taken the directory
	 * between (hold_use makes an empty one then, which store_prepare fills).
	 */
	if (!built(path, rootattrs) || hold_use(path, err) < 0 || !built(path, rootattrs)) {
		free(path);
		return *err ? error_wrap(err, "image store %s", root) : 0;
	}
	if (store_ref_add(path, s->source, err) < 0) {
		free(path);
		return error_wrap(err, "image store %s", root);
	}
	*dir = path;
	return 0;
}

bool store_complete(const char *dir)
{
	json_t *info = store_info(dir);
	bool yes = info && !strcmp(json_string_value(json_object_get(info, "state")) ?: "",
				   STORE_STATE_COMPLETE);

	json_decref(info);
	return yes;
}

bool store_image_complete(const char *root, const struct image_handle *h)
{
	char id[STORE_ID_LEN + 1], *dir;
	struct error *err = NULL;
	bool yes;

	if (store_image_id(h, id, &err) < 0) {
		error_free(&err);
		return false;
	}
	dir = path_join(root, id);
	yes = dir && store_complete(dir);
	free(dir);
	return yes;
}
