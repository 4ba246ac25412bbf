// SPDX-License-Identifier: MIT
#include "nofollow_walk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "beneath.h"
#include "copyup.h"

static int walk_dir(struct nofollow_walk *w, int ovl, int up, int low,
		    const char *rel, struct error **err);

/* A subdirectory, never a symlink or another mount. */
static int open_dir(int dirfd, const char *rel)
{
	return beneath_open(dirfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0);
}

static void count(struct nofollow_walk *w, const struct stat *st)
{
	if (!w->prog)
		return;
	w->prog->entries_done++;
	if (S_ISREG(st->st_mode))
		w->prog->bytes_done += (uint64_t)st->st_size;
	progress_update(w->prog, false);
}

/*
 * NAME in overlay dir OVL (stat ST, still lower) becomes a link to FIRST,
 * the copied-up name of its group: linked under a temporary name, renamed
 * over NAME. 0 done or NAME changed meanwhile, 1 FIRST is not the group's
 * copy any more (copy NAME up instead), -errno.
 */
static int relink(struct nofollow_walk *w, int ovl, const char *name,
		  const struct stat *st, const char *first)
{
	struct stat fst, now;
	const char *fname;
	char tmp[64];
	int pfd, rc = 0;

	pfd = beneath_parent(w->ovl, first, &fname);
	if (pfd < 0)
		return 1;
	if (fstatat(pfd, fname, &fst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (fst.st_mode & S_IFMT) != (st->st_mode & S_IFMT) ||
	    fst.st_size != st->st_size) {
		close(pfd);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), ".ovlmig-relink.%d", (int)getpid());
	rc = linkat(pfd, fname, ovl, tmp, 0);
	if (rc < 0 && errno == EEXIST && unlinkat(ovl, tmp, 0) == 0)
		rc = linkat(pfd, fname, ovl, tmp, 0);	/* left by a killed run */
	rc = rc < 0 ? -errno : 0;
	close(pfd);
	if (rc < 0)
		return rc;
	/* NAME is still the group's lower file: never replace the workload's */
	if (fstatat(ovl, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
	    now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		unlinkat(ovl, tmp, 0);
		return 0;
	}
	if (renameat(ovl, tmp, ovl, name) < 0) {
		rc = -errno;
		unlinkat(ovl, tmp, 0);
	}
	return rc;
}

/* A non-directory: copy it up, or link it to its group's copy. */
static int migrate_entry(struct nofollow_walk *w, int ovl, int up,
			 const char *name, const struct stat *st,
			 const char *child, bool *relinked, struct error **err)
{
	const char *first = NULL;
	int rc = 1;

	if (copyup_done(up, name, st->st_mode)) {
		count(w, st);
		return 0;
	}
	if (w->check_only) {
		w->left++;
		return 0;
	}
	if (st->st_nlink > 1)
		first = link_table_get(&w->links, st->st_dev, st->st_ino);
	if (first) {
		rc = relink(w, ovl, name, st, first);
		if (rc < 0 && !beneath_workload_changed(-rc, "relinked", child))
			return error_set(err, -rc, "link /%s to /%s", child, first);
		if (rc == 0) {
			w->relinked++;
			*relinked = true;
		}
	}
	if (rc > 0) {
		rc = copyup_by_times(ovl, name, st);
		if (rc < 0) {
			if (beneath_workload_changed(-rc, "copied up", child))
				return 0;
			return error_set(err, -rc, "copy up /%s", child);
		}
		w->copied++;
		if (st->st_nlink > 1 &&
		    link_table_put(&w->links, st->st_dev, st->st_ino, child) < 0)
			return error_set(err, ENOMEM, "/%s", child);
		if (w->limit && S_ISREG(st->st_mode))
			link_transfer(w->limit, (uint64_t)st->st_size);
	}
	count(w, st);
	return 0;
}

/*
 * The lower directory that upper directory NAME (in UP) merges: where its
 * redirect points, else the same name in LOW. -1 if none.
 */
static int lower_of(struct nofollow_walk *w, int up, int low, const char *name,
		    bool *redirected)
{
	char *redirect = copyup_redirect(up, name);
	int fd = -1;

	*redirected = redirect != NULL;
	if (redirect && redirect[0] == '/')
		fd = redirect[1] ? open_dir(w->low, redirect + 1) : -1;
	else if (low >= 0)
		fd = open_dir(low, redirect ? redirect : name);
	free(redirect);
	return fd;
}

static int walk_subdir(struct nofollow_walk *w, int ovl, int up, int low,
		       const char *name, const struct stat *st,
		       const char *child, struct error **err)
{
	int co, cu = -1, cl = -1, ret = 0;
	bool redirected;

	if (!copyup_done(up, name, st->st_mode)) {
		if (w->check_only) {
			w->left++;
			return 0;
		}
		ret = copyup_by_times(ovl, name, st);
		if (ret < 0) {
			if (beneath_workload_changed(-ret, "copied up", child))
				return 0;
			return error_set(err, -ret, "copy up /%s", child);
		}
		w->copied++;
	}
	co = open_dir(ovl, name);
	cu = co >= 0 ? open_dir(up, name) : -1;
	if (co < 0 || cu < 0) {
		if (!beneath_workload_changed(errno, "walked", child))
			ret = error_set(err, errno, "open /%s", child);
		goto out;
	}
	cl = lower_of(w, up, low, name, &redirected);
	/* below an opaque directory nothing merges a lower by name (only
	 * an absolute redirect can): the workload may make new directories
	 * there that merge nothing, where the image had some */
	ret = walk_dir(w, co, cu, is_opaque(up, name) ? -1 : cl, child, err);
	if (ret == 0 && (cl >= 0 || redirected) && !is_opaque(up, name)) {
		w->not_opaque++;
		if (!w->not_opaque_at && !(w->not_opaque_at = strdup(child)))
			ret = error_set(err, ENOMEM, "/%s", child);
	}
	count(w, st);
out:
	if (co >= 0)
		close(co);
	if (cu >= 0)
		close(cu);
	if (cl >= 0)
		close(cl);
	return ret;
}

static int walk_dir(struct nofollow_walk *w, int ovl, int up, int low,
		    const char *rel, struct error **err)
{
	char **names = NULL;
	bool relinked = false;
	size_t n = 0, i;
	struct stat dst;
	int ret = 0;

	if (fstat(ovl, &dst) < 0)
		return error_set(err, errno, "stat /%s", rel);
	if (dir_names(ovl, rel, &names, &n, err) < 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		char *child = path_join(rel, names[i]);
		struct stat st;

		if (!child) {
			ret = error_set(err, ENOMEM, "/%s", rel);
			break;
		}
		if (fstatat(ovl, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)	/* else the workload removed it */
				ret = error_set(err, errno, "stat /%s", child);
		} else if (S_ISDIR(st.st_mode)) {
			ret = walk_subdir(w, ovl, up, low, names[i], &st, child, err);
		} else {
			ret = migrate_entry(w, ovl, up, names[i], &st, child,
					    &relinked, err);
		}
		free(child);
	}
	dir_names_free(names, n);
	if (ret < 0 || w->check_only)
		return ret;
	/* everything below is up: reading it again makes the kernel mark it
	 * opaque (a rewind reads a merge directory from its layers again) */
	if (dir_names(ovl, rel, &names, &n, err) < 0)
		return -1;
	dir_names_free(names, n);
	/* the relinks' temporary names changed its times */
	if (relinked && futimens(ovl, (struct timespec[2]){ dst.st_atim, dst.st_mtim }) < 0)
		return error_set(err, errno, "restore the times of /%s", rel);
	return 0;
}

int nofollow_walk_pass(struct nofollow_walk *w, struct error **err)
{
	w->copied = w->relinked = w->left = w->not_opaque = 0;
	free(w->not_opaque_at);
	w->not_opaque_at = NULL;
	if (walk_dir(w, w->ovl, w->up, is_opaque(w->up, ".") ? -1 : w->low, "", err) < 0)
		return -1;
	/* the root always merges the lower: it must end opaque too */
	if (!is_opaque(w->up, ".")) {
		w->not_opaque++;
		if (!w->not_opaque_at && !(w->not_opaque_at = strdup("")))
			return error_set(err, ENOMEM, "/");
	}
	return 0;
}

void nofollow_walk_free(struct nofollow_walk *w)
{
	link_table_free(&w->links);
	free(w->not_opaque_at);
	w->not_opaque_at = NULL;
}
