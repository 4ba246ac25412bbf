// SPDX-License-Identifier: MIT
#include "list_ref.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "digest.h"

/* "sha256:HEX SIZE\n" */
#define LIST_REF_MAX (DIGEST_STRLEN + 1 + 20 + 1)

/* CACHE_DIR/indexes/MANIFEST-HEX-REPO16.list-ref (malloc'd), or NULL */
static char *list_ref_path(const char *cache_dir, const char *manifest_digest,
			   const char *repo_url)
{
	uint8_t md[32];
	char rhex[65], *p = NULL;

	if (!digest_valid(manifest_digest) ||
	    sha256_buf(repo_url, strlen(repo_url), md) < 0)
		return NULL;
	sha256_hex(md, rhex);
	if (asprintf(&p, "%s/indexes/%.64s-%.16s.list-ref", cache_dir,
		     manifest_digest + 7, rhex) < 0)
		return NULL;
	return p;
}

int list_ref_save(const char *cache_dir, const char *manifest_digest,
		  const char *repo_url, const struct blob_ref *ref,
		  struct error **err)
{
	char *path = list_ref_path(cache_dir, manifest_digest, repo_url);
	char *dir = path_join(cache_dir, "indexes");
	char line[LIST_REF_MAX + 1];
	int n, ret = -1;

	if (!path || !dir) {
		error_set(err, ENOMEM, "prefetch list descriptor in the index cache");
		goto out;
	}
	if (!ref->digest[0]) {
		ret = unlink(path) < 0 && errno != ENOENT ?
			      error_set(err, errno, "remove %s", path) : 0;
		goto out;
	}
	n = snprintf(line, sizeof(line), "%s %" PRIu64 "\n", ref->digest, ref->size);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		error_set(err, EINVAL, "prefetch list descriptor %s", ref->digest);
		goto out;
	}
	if (make_dirs(dir, 0700, err) == 0 &&
	    file_replace_bytes(path, 0600, 0, line, (size_t)n, err) == 0)
		ret = 0;
	else
		error_wrap(err, "keep %s", path);
out:
	free(dir);
	free(path);
	return ret;
}

int list_ref_load(const char *cache_dir, const char *manifest_digest,
		  const char *repo_url, struct blob_ref *ref,
		  struct error **err)
{
	char *path = list_ref_path(cache_dir, manifest_digest, repo_url);
	char buf[LIST_REF_MAX + 2], *sp, *nl;
	uint64_t size;
	ssize_t n;
	int fd, ret = -1;

	memset(ref, 0, sizeof(*ref));
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = errno == ENOENT ? 0 : error_set(err, errno, "open %s", path);
		free(path);
		return ret;
	}
	n = read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		error_set(err, errno, "read %s", path);
		goto bad;
	}
	buf[n] = 0;
	sp = strchr(buf, ' ');
	nl = strchr(buf, '\n');
	if (n > LIST_REF_MAX || !sp || !nl || nl[1] || sp > nl) {
		error_set(err, EINVAL, "%s: not one line \"DIGEST SIZE\"", path);
		goto bad;
	}
	*sp = 0;
	*nl = 0;
	if (!digest_valid(buf) ||
	    parse_u64(sp + 1, 1, PREFETCH_LIST_MAX, &size) < 0) {
		error_set(err, EINVAL, "%s: not a digest and a size of at most %u bytes",
			  path, PREFETCH_LIST_MAX);
		goto bad;
	}
	memcpy(ref->digest, buf, DIGEST_STRLEN + 1);
	ref->size = size;
	free(path);
	return 1;
bad:
	unlink(path);
	free(path);
	return ret;
}
