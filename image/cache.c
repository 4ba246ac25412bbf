// SPDX-License-Identifier: MIT
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "digest.h"

#define IDENTITY_FILE "IMAGE"
/* trusted.*: only root can set it, so no one else can forge a record */
#define DIGEST_XATTR "trusted.lowerfs.sha256"
#define NAME_LEN 32

static void node_name(char *buf, uint32_t node)
{
	snprintf(buf, NAME_LEN, "%08" PRIx32, node);
}

static void part_name(char *buf, uint32_t node)
{
	snprintf(buf, NAME_LEN, ".part-%08" PRIx32, node);
}

/* Only names this cache writes: never delete anything else in DIR. */
static int is_cache_name(const char *n)
{
	size_t len = strlen(n);

	if (!strcmp(n, IDENTITY_FILE))
		return 1;
	if (!strncmp(n, ".part-", 6))
		n += 6, len -= 6;
	return len == 8 && strspn(n, "0123456789abcdef") == 8;
}

static int remove_files(struct cache *c, int parts_only, struct error **err)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(c->dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return error_set(err, errno, "read cache %s", c->dir);
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!is_cache_name(de->d_name))
			continue;
		if (parts_only && strncmp(de->d_name, ".part-", 6))
			continue;
		if (unlinkat(c->dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			error_set(err, errno, "remove %s/%s", c->dir, de->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

int cache_wipe(struct cache *c, struct error **err)
{
	return remove_files(c, 0, err);
}

static void identity_text(char buf[32], uint64_t fingerprint)
{
	snprintf(buf, 32, "%016" PRIx64 "\n", fingerprint);
}

/* The cache holds files of the image with FINGERPRINT. */
static bool identity_matches(struct cache *c, uint64_t fingerprint)
{
	char want[32], have[32] = "";
	ssize_t n;
	int fd;

	identity_text(want, fingerprint);
	fd = openat(c->dirfd, IDENTITY_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = read_full(fd, have, sizeof(have) - 1);
	close(fd);
	return n > 0 && !strcmp(have, want);
}

static int check_identity(struct cache *c, uint64_t fingerprint,
			  struct error **err)
{
	char want[32];
	int fd;

	/* same image: keep what is complete, drop interrupted fetches */
	if (identity_matches(c, fingerprint))
		return remove_files(c, 1, err);
	/* another image, or none recorded: start empty */
	if (cache_wipe(c, err) < 0)
		return -1;
	identity_text(want, fingerprint);
	fd = openat(c->dirfd, IDENTITY_FILE ".tmp",
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, errno, "write %s/%s", c->dir, IDENTITY_FILE);
	if (write_all(fd, want, strlen(want)) < 0) {
		error_set(err, errno, "write %s/%s", c->dir, IDENTITY_FILE);
		close(fd);
		return -1;
	}
	close(fd);
	if (renameat(c->dirfd, IDENTITY_FILE ".tmp", c->dirfd, IDENTITY_FILE) < 0)
		return error_set(err, errno, "write %s/%s", c->dir, IDENTITY_FILE);
	return 0;
}

/* DIR opened, nothing checked; NULL with errno set. */
static struct cache *cache_at(const char *dir)
{
	struct cache *c = calloc(1, sizeof(*c));
	int e;

	if (!c)
		return NULL;
	c->dir = strdup(dir);
	c->dirfd = c->dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (c->dirfd < 0) {
		e = c->dir ? errno : ENOMEM;
		cache_close(c);
		errno = e;
		return NULL;
	}
	return c;
}

/* DIR (open as FD) held shared: CACHE_IN_USE. */
static int hold(int fd, const char *dir, struct error **err)
{
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return error_set(err, EBUSY, "cache directory %s: being deleted "
				 "(the detach of a mount it belonged to)", dir);
	return error_set(err, errno, "cache directory %s: lock", dir);
}

int cache_hold(const char *dir, int *fd, struct error **err)
{
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0)
		return error_set(err, errno, "open cache directory %s", dir);
	if (hold(*fd, dir, err) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

int cache_open(const char *dir, uint64_t fingerprint, struct cache **out,
	       struct error **err)
{
	struct cache *c;

	if (make_dirs(dir, 0700, err) < 0)
		return error_wrap(err, "create cache directory %s", dir);
	c = cache_at(dir);
	if (!c)
		return error_set(err, errno, "open cache directory %s", dir);
	/* held while open: see CACHE_IN_USE in cache.h */
	if (hold(c->dirfd, dir, err) < 0 || check_identity(c, fingerprint, err) < 0) {
		cache_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

int cache_open_existing(const char *dir, uint64_t fingerprint,
			struct cache **out, struct error **err)
{
	struct cache *c = cache_at(dir);

	*out = NULL;
	if (!c)
		return errno == ENOENT ? 0 : error_set(err, errno, "open cache directory %s", dir);
	if (!identity_matches(c, fingerprint)) {
		cache_close(c);
		return 0;
	}
	*out = c;
	return 1;
}

void cache_close(struct cache *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->dir);
	free(c);
}

/* "sha256:<hex>" of FD's first SIZE bytes. */
static int file_digest(int fd, uint64_t size, char out[DIGEST_STRLEN + 1],
		       struct error **err)
{
	uint8_t md[32];

	if (sha256_fd(fd, size, md, err) < 0)
		return -1;
	memcpy(out, DIGEST_PREFIX, 7);
	sha256_hex(md, out + 7);
	return 0;
}

/* FD is NAME's complete data as fetched: SIZE bytes, the recorded sha256. */
static int check_file(struct cache *c, int fd, const char *name, uint64_t size,
		      bool hash, struct error **err)
{
	char want[DIGEST_STRLEN + 1], have[DIGEST_STRLEN + 1];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "%s/%s", c->dir, name);
	if (!S_ISREG(st.st_mode))
		return error_set_msg(err, EINVAL, "%s/%s: not a regular file",
				     c->dir, name);
	if ((uint64_t)st.st_size != size)
		return error_set_msg(err, EINVAL, "%s/%s: %lld bytes, the image says %llu",
				     c->dir, name, (long long)st.st_size,
				     (unsigned long long)size);
	if (!hash)
		return 0;
	n = fgetxattr(fd, DIGEST_XATTR, want, sizeof(want));
	if (n != DIGEST_STRLEN)
		return error_set(err, n < 0 ? errno : EINVAL,
				 "%s/%s: no sha256 recorded when it was fetched",
				 c->dir, name);
	want[n] = '\0';
	if (file_digest(fd, size, have, err) < 0)
		return error_wrap(err, "%s/%s", c->dir, name);
	if (strcmp(have, want))
		return error_set_msg(err, EINVAL, "%s/%s: sha256 %s, recorded %s when it was fetched",
				     c->dir, name, have, want);
	return 0;
}

int cache_lookup(struct cache *c, uint32_t node, uint64_t size, bool hash,
		 struct error **why)
{
	char name[NAME_LEN];
	int fd;

	node_name(name, node);
	fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)	/* e.g. a symlink: ELOOP */
			error_set(why, errno, "open %s/%s", c->dir, name);
		return -1;
	}
	if (check_file(c, fd, name, size, hash, why) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The fetched file is what it should be: keep its sha256 with it. */
/*
 * Record the sha256 of the SIZE bytes fetched into FD: MD when the fetch
 * hashed them as it wrote them, else read back.
 */
static int record_digest(struct cache *c, int fd, const char *part,
			 uint64_t size, const uint8_t *md, struct error **err)
{
	char digest[DIGEST_STRLEN + 1];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_set(err, errno, "%s/%s", c->dir, part);
	if ((uint64_t)st.st_size != size)
		return error_set_msg(err, EIO, "%s/%s: fetched %lld bytes, the image says %llu",
				     c->dir, part, (long long)st.st_size,
				     (unsigned long long)size);
	if (md) {
		memcpy(digest, DIGEST_PREFIX, 7);
		sha256_hex(md, digest + 7);
	} else if (file_digest(fd, size, digest, err) < 0) {
		return error_wrap(err, "%s/%s", c->dir, part);
	}
	if (fsetxattr(fd, DIGEST_XATTR, digest, DIGEST_STRLEN, 0) < 0)
		return error_set(err, errno, "record the sha256 of %s/%s in %s",
				 c->dir, part, DIGEST_XATTR);
	return 0;
}

/* The fetch written to FD and hashed on the way (fetch_sink). */
struct hashing_sink {
	int fd;
	struct sha256_stream *md;
};

static int hashing_write(void *ctx, const void *buf, size_t len,
			 struct error **err)
{
	struct hashing_sink *h = ctx;

	if (write_all(h->fd, buf, len) < 0)
		return error_set(err, errno, "write to the cache");
	if (sha256_stream_update(h->md, buf, len) < 0)
		return error_set(err, EIO, "sha256 of the fetched data");
	return 0;
}

/*
 * NODE's data into FD; *HASHED set and MD its sha256 when the source
 * handed it on (one pass over the bytes, not a second to read them back).
 */
static int fetch_into(struct source *src, const struct image *img,
		      uint32_t node, int fd, uint8_t md[32], bool *hashed,
		      struct error **err)
{
	struct hashing_sink h = { .fd = fd };
	int ret;

	*hashed = false;
	if (!src->ops->fetch_sink || !(h.md = sha256_stream_new()))
		return src->ops->fetch(src, img, node, fd, err);
	ret = src->ops->fetch_sink(src, img, node, hashing_write, &h, err);
	if (ret == 0 && sha256_stream_final(h.md, md) == 0)
		*hashed = true;
	sha256_stream_free(h.md);
	return ret;
}

int cache_fill(struct cache *c, struct source *src, const struct image *img,
	       uint32_t node, struct error **err)
{
	char part[NAME_LEN], name[NAME_LEN];
	uint8_t md[32];
	bool hashed;
	int fd, ro;

	part_name(part, node);
	node_name(name, node);
	fd = openat(c->dirfd, part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set(err, errno, "create %s/%s", c->dir, part);
	if (fetch_into(src, img, node, fd, md, &hashed, err) < 0 ||
	    record_digest(c, fd, part, img->nodes[node].size, hashed ? md : NULL,
			  err) < 0) {
		close(fd);
		unlinkat(c->dirfd, part, 0);
		return -1;
	}
	close(fd);
	if (renameat(c->dirfd, part, c->dirfd, name) < 0) {
		error_set(err, errno, "rename %s/%s", c->dir, part);
		unlinkat(c->dirfd, part, 0);
		return -1;
	}
	ro = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (ro < 0)
		return error_set(err, errno, "open %s/%s", c->dir, name);
	return ro;
}
