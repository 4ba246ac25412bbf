// SPDX-License-Identifier: MIT
#include "fan_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "fan_fill.h"
#include "fan_holes.h"
#include "fan_kernel.h"
#include "fan_range.h"
#include "fan_wire.h"
#include "store.h"

struct worker {
	uint64_t range_min;	/* --fill-range-min (0: the default) */
	struct image_handle *h;
	struct data_paths dp;
	struct fan_holes holes;
	struct fan_fill_ctx ctx;
	int holesfd;
};

static int setup(struct worker *w, const struct mount_state *s, int g,
		 int storefd, const struct fan_marks *m, struct error **err)
{
	if (mkdirat(storefd, FAN_HOLES_DIR, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create %s/%s", s->store, FAN_HOLES_DIR);
	w->ctx.datafd = openat(storefd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	w->holesfd = openat(storefd, FAN_HOLES_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w->ctx.datafd < 0 || w->holesfd < 0)
		return error_set(err, errno, "open %s/data and %s", s->store, FAN_HOLES_DIR);
	/* where a filled placeholder gets the name it replaces a data/ copy by */
	if (mkdirat(storefd, "tmp", 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create %s/tmp", s->store);
	w->ctx.tmpfd = openat(storefd, "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w->ctx.tmpfd < 0)
		return error_set(err, errno, "open %s/tmp", s->store);
	if (store_open_image(s, &w->h, err) < 0 ||
	    data_paths_build(image_tree(w->h), &w->dp, err) < 0)
		return -1;
	if (fan_holes_lay(g, m, w->ctx.datafd, w->holesfd, w->ctx.tmpfd, image_tree(w->h), &w->dp,
			  &w->holes, err) < 0)
		return error_wrap(err, "image store %s", s->store);
	w->ctx.h = w->h;
	w->ctx.dp = &w->dp;
	w->ctx.g = g;
	w->ctx.m = m;
	w->ctx.mntfd = storefd;
	return 0;
}

/*
 * Placeholder HOLE filled by ranges (fan_range.h)? Decided at its first
 * event and kept: the first 4 bytes are read once for the ELF check (if
 * that read fails, the event gets a whole fill, and the next one asks
 * again).
 */
static bool by_ranges(struct worker *w, struct fan_hole *hole)
{
	int r;

	if (hole->how == FAN_HOLE_HOW_UNKNOWN) {
		r = fan_range_fill(w->h, hole->node, w->dp.path[hole->node], w->range_min);
		if (r < 0)
			return false;	/* whole this time; decided at a later event */
		hole->how = r ? FAN_HOLE_HOW_RANGES : FAN_HOLE_HOW_WHOLE;
	}
	return hole->how == FAN_HOLE_HOW_RANGES;
}

/*
 * A placeholder filled by ranges, event A: at open nothing (its reads
 * will say what they need); a read with a range, the prefix to that
 * range's end (widened); a read without one, all of it. *DONE: whole.
 */
static int fill_ranges(struct worker *w, int fd, const struct fan_hole *hole,
		       const struct fan_ask *a, bool *done, struct error **err)
{
	uint64_t size = image_tree(w->h)->nodes[hole->node].size, end;

	*done = false;
	if (!(a->mask & FAN_PRE_ACCESS))
		return 0;
	end = a->has_range ? fan_range_end(a->off, a->count, size) : size;
	if (!end)
		return 0;	/* at or past its end: the reader gets EOF */
	return fan_fill_prefix(&w->ctx, fd, hole->node, end, done, err);
}

/* Event FD's answer: filled first if it is an unfilled placeholder. */
static bool handle(struct worker *w, int fd, const struct fan_ask *a)
{
	struct error *err = NULL;
	struct fan_hole *hole;
	struct stat st;
	bool done = false;

	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "ovlmig fanfill: event fd: %s\n", strerror(errno));
		return false;
	}
	hole = fan_holes_find(&w->holes, st.st_dev, st.st_ino);
	if (!hole || hole->filled)
		return true;
	if (by_ranges(w, hole)) {
		if (fill_ranges(w, fd, hole, a, &done, &err) < 0) {
			error_report(&err, "ovlmig fanfill", stderr);
			return false;
		}
		hole->filled = done;
		return true;
	}
	if (fan_fill(&w->ctx, fd, hole->node, &err) < 0) {
		error_report(&err, "ovlmig fanfill", stderr);
		return false;
	}
	hole->filled = true;
	return true;
}

static int serve(struct worker *w, int sock, struct error **err)
{
	struct fan_ask a;
	int fd, r;

	while ((r = fan_wire_recv_event(sock, &a, &fd)) > 0) {
		bool allow = handle(w, fd, &a);

		close(fd);
		if (fan_wire_send_reply(sock, a.id, allow) < 0)
			return error_set(err, errno, "reply to the keeper");
	}
	return r < 0 ? error_set(err, errno, "events from the keeper") : 0;
}

int fan_worker_run(const struct mount_state *s, int g, int storefd,
		   const struct fan_marks *m, int sock, int ready, struct error **err)
{
	struct worker w = { .range_min = s->fill_range_min, .holesfd = -1,
			    .ctx = { .datafd = -1, .tmpfd = -1 } };
	uint64_t t0 = now_ns();
	int ret;

	if (setup(&w, s, g, storefd, m, err) < 0) {
		if (ready >= 0)
			dprintf(ready, "%s\n", (*err)->msg);
		ret = -1;
	} else {
		/* the image opened and every placeholder laid: the filler's part of a mount */
		fprintf(stderr, "ovlmig fanfill: worker %ld: %zu placeholders %s in %s (%.3f s)\n",
			(long)getpid(), w.holes.n, m->fs ? "tagged" : "marked", s->store,
			(double)(now_ns() - t0) / 1e9);
		if (ready >= 0 && (dprintf(ready, "ok\n") < 0 || close(ready) < 0))
			fprintf(stderr, "ovlmig fanfill: say ready: %s\n", strerror(errno));
		ret = serve(&w, sock, err);
	}
	fan_holes_free(&w.holes);
	data_paths_free(&w.dp);
	image_close(w.h);
	if (w.holesfd >= 0)
		close(w.holesfd);
	if (w.ctx.datafd >= 0)
		close(w.ctx.datafd);
	if (w.ctx.tmpfd >= 0)
		close(w.ctx.tmpfd);
	return ret;
}
