// SPDX-License-Identifier: MIT
/*
 * The verified chunk cache of one blob (blob.h).
 *
 * A reader claims the missing chunks it needs (in flight), fetches them
 * in one fetcher_get_ranges call (adjacent chunks coalesced, each
 * checked on its own), writes their data and only then their map bytes;
 * other readers of those chunks wait on the condition variable instead of
 * downloading them too.
 *
 * Crash safety: data before map byte, so a killed process leaves at
 * worst data without its map byte, fetched again later. Nothing is
 * fsynced; after a power loss a map byte may have outlived its data, so
 * a chunk found present at open is checked against its sha256 on its
 * first read and fetched again if wrong. A blob found complete at open
 * is checked whole instead, once.
 *
 * The digest of a blob filled here is computed as it fills: chunks are
 * fed to a running sha256 in order, from memory as they are stored, so a
 * fill in byte order (migrate's) knows the digest when its last chunk
 * lands, without reading the file back. A chunk that arrives before its
 * predecessors is read back from the file once the gap before it is
 * filled. Only a mismatch (or an error) reads the whole file again
 * (check_whole), which tells damaged chunks from a wrong chunk table.
 */
#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/util.h"
#include "digest.h"
#include "../common/error.h"
#include "log.h"

#define BATCH_BYTES (16u << 20)	/* claimed and held in memory at once (and a short rest) */
#define RANGE_BYTES (4u << 20)	/* adjacent chunks asked for in one request */
#define READ_ROUNDS 3		/* a cached chunk found bad is fetched again */

enum {
	CH_PRESENT = 1,		/* data and map byte written */
	CH_INFLIGHT = 2,	/* a reader is fetching it */
	CH_CHECKED = 4,		/* its bytes were checked by this process */
};

struct blob {
	struct fetcher *f;
	char *url;
	char digest[DIGEST_STRLEN + 1];
	uint64_t size;
	uint32_t chunk_size;
	uint64_t nchunks;
	uint8_t (*sha)[32];
	int data_fd, map_fd;		/* -1 without a cache */
	char *data_path, *map_path;

	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t cond;		/* a chunk left the in-flight state */
	uint8_t *state;
	uint64_t present;
	uint64_t fail_seq;		/* bumped when a fetch fails */
	bool cached;			/* false: no cache dir, or wiped */
	bool verifying, verified;
	bool poisoned;			/* the chunk table contradicts the digest */
	bool chunk_table;		/* sha holds each chunk's sha256 */

	/*
	 * The running digest of chunks [0, run_next), NULL without a cache.
	 * run_lock is taken before lock, never while holding it.
	 */
	pthread_mutex_t run_lock;	/* the run_* fields */
	struct sha256_stream *run;
	uint64_t run_next;
	bool run_broken;		/* a read or hash failed: check_whole decides */
	bool run_done;			/* run_md is the digest of the whole blob */
	uint8_t run_md[32];

	atomic_uint_fast64_t chunks_fetched, bytes_fetched, mismatches;
	atomic_uint_fast64_t whole_checks, chunks_reread;
};

static uint64_t chunk_off(const struct blob *b, uint64_t c)
{
	return c * b->chunk_size;
}

static size_t chunk_len(const struct blob *b, uint64_t c)
{
	uint64_t left = b->size - chunk_off(b, c);

	return left < b->chunk_size ? (size_t)left : b->chunk_size;
}

static bool chunk_ok(const struct blob *b, uint64_t c, const void *data)
{
	uint8_t md[32];

	/* no chunk table (a TOC's layer): the reader checks what it decompresses */
	if (!b->chunk_table)
		return true;
	return sha256_buf(data, chunk_len(b, c), md) == 0 &&
	       !memcmp(md, b->sha[c], 32);
}

static int pwrite_exact(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* ---- fetching and checking ---- */

static int range_error(struct blob *b, uint64_t first, uint64_t last,
		       struct error **err)
{
	if (first == last)
		return error_wrap(err, "chunk %" PRIu64 " of %s", first, b->digest);
	return error_wrap(err, "chunks %" PRIu64 "-%" PRIu64 " of %s", first,
			  last, b->digest);
}

/*
 * The most bytes one range request of a fetch of TOTAL bytes asks for:
 * RANGE_BYTES, but a short last range is spread over the others (each
 * then at most 1/8 over), so that it is not a request of its own after
 * them (16 MiB and 4 chunks: 4 requests in flight together, not 4 and
 * then 1).
 */
static uint64_t range_limit(const struct blob *b, uint64_t total)
{
	uint64_t n = (total + RANGE_BYTES - 1) / RANGE_BYTES, lim;

	if (n < 2 || total > (n - 1) * (RANGE_BYTES + RANGE_BYTES / 8))
		return RANGE_BYTES;
	lim = (total + (n - 1) - 1) / (n - 1);
	return (lim + b->chunk_size - 1) / b->chunk_size * b->chunk_size;
}

/*
 * Add a range for chunk C (in a window starting at W0, held at MEM),
 * joined to the last one up to LIMIT bytes when COALESCE.
 */
static void add_chunk(struct blob *b, struct fetch_range *r, size_t *nr,
		      uint64_t w0, uint64_t c, uint8_t *mem, bool coalesce,
		      uint64_t limit)
{
	size_t len = chunk_len(b, c);

	if (coalesce && *nr && r[*nr - 1].off + r[*nr - 1].len == chunk_off(b, c) &&
	    r[*nr - 1].len + len <= limit) {
		r[*nr - 1].len += len;
		return;
	}
	r[*nr].off = chunk_off(b, c);
	r[*nr].len = len;
	r[*nr].buf = mem + (c - w0) * b->chunk_size;
	r[*nr].errnum = 0;
	(*nr)++;
}

/* Fetch R[0..NR); on failure *ERR names the first range that failed. */
static int get_ranges(struct blob *b, struct fetch_range *r, size_t nr,
		      struct error **err)
{
	struct error *e = NULL;

	if (fetcher_get_ranges(b->f, b->url, r, nr, &e) == 0)
		return 0;
	for (size_t k = 0; k < nr; k++) {
		if (!r[k].errnum)
			continue;
		range_error(b, r[k].off / b->chunk_size,
			    (r[k].off + r[k].len - 1) / b->chunk_size, &e);
		break;
	}
	if (!*err)
		*err = e;
	else
		error_free(&e);
	return -1;
}

/*
 * The ranges of R[0..NR) that hold a chunk marked in BAD, asked again
 * as they were (a retry is the same request: a coalesced range is not
 * split), into SCRATCH. *N2: how many; *SCRATCH malloc'd.
 */
static int retry_ranges(struct blob *b, const struct fetch_range *r, size_t nr,
			uint64_t w0, const uint8_t *bad, struct fetch_range *r2,
			size_t *n2, uint8_t **scratch, struct error **err)
{
	size_t total = 0, at = 0;

	*n2 = 0;
	for (size_t k = 0; k < nr; k++) {
		uint64_t c = r[k].off / b->chunk_size, end = (r[k].off + r[k].len - 1) / b->chunk_size;

		if (r[k].errnum)
			continue;
		for (; c <= end; c++)
			if (bad[c - w0]) {
				r2[(*n2)++] = r[k];
				total += r[k].len;
				break;
			}
	}
	*scratch = malloc(total ? total : 1);
	if (!*scratch)
		return error_set(err, ENOMEM, "fetch chunks of %s", b->digest);
	for (size_t k = 0; k < *n2; k++) {
		r2[k].buf = *scratch + at;
		r2[k].errnum = 0;
		at += r2[k].len;
	}
	return 0;
}

/*
 * Fetch the wanted chunks of the window [W0, W0+WN) into MEM, adjacent
 * ones in one range, and check each; a range holding a chunk that does
 * not match is fetched once more, as it was asked, and only its bad
 * chunks are taken from the second answer. OK[i] tells which are good.
 * 0 when all wanted are.
 */
static int fetch_verified(struct blob *b, uint64_t w0, uint64_t wn,
			  const uint8_t *want, uint8_t *mem, uint8_t *ok,
			  struct error **err)
{
	struct fetch_range *r = calloc(wn, sizeof(*r)), *r2 = calloc(wn, sizeof(*r2));
	uint8_t *bad = calloc(wn, 1), *scratch = NULL;
	size_t nr = 0, n2 = 0, nbad = 0;
	uint64_t total = 0, limit;
	int ret = 0;

	if (!r || !r2 || !bad) {
		ret = error_set(err, ENOMEM, "fetch chunks of %s", b->digest);
		goto out;
	}
	for (uint64_t i = 0; i < wn; i++)
		if (want[i])
			total += chunk_len(b, w0 + i);
	limit = range_limit(b, total);
	for (uint64_t i = 0; i < wn; i++)
		if (want[i])
			add_chunk(b, r, &nr, w0, w0 + i, mem, true, limit);
	if (!nr)
		goto out;
	if (get_ranges(b, r, nr, err) < 0)
		ret = -1;
	for (size_t k = 0; k < nr; k++) {
		uint64_t c = r[k].off / b->chunk_size;
		uint64_t end = (r[k].off + r[k].len - 1) / b->chunk_size;

		if (r[k].errnum)
			continue;
		atomic_fetch_add(&b->bytes_fetched, r[k].len);
		for (; c <= end; c++) {
			if (chunk_ok(b, c, mem + (c - w0) * b->chunk_size)) {
				ok[c - w0] = 1;
				continue;
			}
			atomic_fetch_add(&b->mismatches, 1);
			bad[c - w0] = 1;
			nbad++;
		}
	}
	if (!nbad)
		goto out;
	if (retry_ranges(b, r, nr, w0, bad, r2, &n2, &scratch, err) < 0) {
		ret = -1;
		goto out;
	}
	if (get_ranges(b, r2, n2, err) < 0)
		ret = -1;
	for (size_t k = 0; k < n2; k++) {
		uint64_t c = r2[k].off / b->chunk_size;
		uint64_t end = (r2[k].off + r2[k].len - 1) / b->chunk_size;

		if (r2[k].errnum)
			continue;
		atomic_fetch_add(&b->bytes_fetched, r2[k].len);
		for (; c <= end; c++) {
			const uint8_t *got = r2[k].buf + (chunk_off(b, c) - r2[k].off);

			if (!bad[c - w0])
				continue;	/* good the first time: kept as it was */
			if (chunk_ok(b, c, got)) {
				memcpy(mem + (c - w0) * b->chunk_size, got, chunk_len(b, c));
				ok[c - w0] = 1;
				continue;
			}
			atomic_fetch_add(&b->mismatches, 1);
			if (!*err)
				error_set_msg(err, EIO, "chunk %" PRIu64 " of %s: sha256 mismatch twice",
					      c, b->digest);
			ret = -1;
		}
	}
out:
	free(scratch);
	free(r);
	free(r2);
	free(bad);
	return ret;
}

/* ---- the cache files ---- */

static void wipe_map(struct blob *b)
{
	pthread_mutex_lock(&b->lock);
	for (uint64_t c = 0; c < b->nchunks; c++)
		b->state[c] &= CH_INFLIGHT;
	b->present = 0;
	b->verified = false;
	if (b->map_fd >= 0 &&
	    (ftruncate(b->map_fd, 0) < 0 || ftruncate(b->map_fd, (off_t)b->nchunks) < 0))
		image_log("blob %s: cannot reset %s: %m", b->digest, b->map_path);
	pthread_mutex_unlock(&b->lock);
}

/* A cached chunk failed its check: forget it (unless someone already did). */
static void invalidate(struct blob *b, uint64_t c)
{
	static const uint8_t zero;

	pthread_mutex_lock(&b->lock);
	if ((b->state[c] & (CH_PRESENT | CH_INFLIGHT | CH_CHECKED)) == CH_PRESENT) {
		b->state[c] = 0;
		b->present--;
		if (pwrite_exact(b->map_fd, &zero, 1, c) < 0)
			image_log("blob %s: cannot clear map byte %" PRIu64 ": %m",
				    b->digest, c);
	}
	pthread_mutex_unlock(&b->lock);
}

/* Check the chunks this process has not checked yet; how many were bad. */
static uint64_t recheck(struct blob *b)
{
	uint8_t *tmp = malloc(b->chunk_size);
	uint64_t bad = 0;

	if (!tmp)
		return 0;
	for (uint64_t c = 0; c < b->nchunks; c++) {
		uint8_t st;

		pthread_mutex_lock(&b->lock);
		st = b->state[c];
		pthread_mutex_unlock(&b->lock);
		if ((st & (CH_PRESENT | CH_CHECKED)) != CH_PRESENT)
			continue;
		if (pread_all(b->data_fd, tmp, chunk_len(b, c), chunk_off(b, c)) == 0 &&
		    chunk_ok(b, c, tmp)) {
			pthread_mutex_lock(&b->lock);
			b->state[c] |= CH_CHECKED;
			pthread_mutex_unlock(&b->lock);
			continue;
		}
		atomic_fetch_add(&b->mismatches, 1);
		invalidate(b, c);
		bad++;
	}
	free(tmp);
	return bad;
}

static void mark_verified(struct blob *b)
{
	pthread_mutex_lock(&b->lock);
	b->verified = true;
	for (uint64_t c = 0; c < b->nchunks; c++)
		if (b->state[c] & CH_PRESENT)
			b->state[c] |= CH_CHECKED;
	pthread_mutex_unlock(&b->lock);
}

/*
 * Every chunk is present: check the whole data file against the digest.
 * On a mismatch, chunks damaged in the cache are fetched again; if every
 * chunk matches its sha256, the chunk table itself contradicts the
 * digest, and no more bytes of this blob are served.
 */
static void check_whole(struct blob *b)
{
	struct error *e = NULL;
	uint8_t md[32], want[32];
	uint64_t bad;

	digest_bytes(b->digest, want);
	atomic_fetch_add(&b->whole_checks, 1);
	if (sha256_fd(b->data_fd, b->size, md, &e) < 0) {
		image_log("blob %s: cannot check %s: %s", b->digest, b->data_path, e->msg);
		error_free(&e);
		return;
	}
	if (!memcmp(md, want, 32)) {
		mark_verified(b);
		return;
	}
	bad = recheck(b);
	if (bad) {
		image_log("blob %s: %" PRIu64 " cached chunks were damaged: fetching them again",
			    b->digest, bad);
		return;
	}
	image_log("blob %s: THE BLOB DOES NOT MATCH ITS DIGEST although every chunk "
		    "matches its sha256: its chunk table is wrong; wiping its cache map "
		    "and failing every further read", b->digest);
	wipe_map(b);
	pthread_mutex_lock(&b->lock);
	b->poisoned = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * Feed the running digest as far as the chunks in hand go: those of the
 * window [W0, W0+WN) at MEM just stored (claimed in MINE, good in OK;
 * MEM NULL: none), then those present in the cache, read back (they came
 * before a chunk in front of them). run_lock held.
 */
static void run_feed(struct blob *b, uint64_t w0, uint64_t wn,
		     const uint8_t *mine, const uint8_t *mem, const uint8_t *ok)
{
	uint8_t *tmp = NULL;

	while (!b->run_broken && !b->run_done && b->run_next < b->nchunks) {
		uint64_t c = b->run_next;
		size_t len = chunk_len(b, c);
		const uint8_t *p;
		bool present;

		if (mem && c >= w0 && c - w0 < wn && mine[c - w0] && ok[c - w0]) {
			p = mem + (c - w0) * b->chunk_size;
		} else {
			pthread_mutex_lock(&b->lock);
			present = b->state[c] & CH_PRESENT;
			pthread_mutex_unlock(&b->lock);
			if (!present)
				break;
			/* out of memory: stop here, a later store goes on */
			if (!tmp && !(tmp = malloc(b->chunk_size)))
				break;
			if (pread_all(b->data_fd, tmp, len, chunk_off(b, c)) < 0) {
				image_log("blob %s: cannot read back chunk %" PRIu64 ": %m",
					  b->digest, c);
				b->run_broken = true;
				break;
			}
			atomic_fetch_add(&b->chunks_reread, 1);
			p = tmp;
		}
		if (sha256_stream_update(b->run, p, len) < 0) {
			b->run_broken = true;
			break;
		}
		b->run_next++;
	}
	free(tmp);
}

/*
 * Every chunk is present: the running digest decides when it covers the
 * blob and matches; otherwise (a gap it could not read, a mismatch)
 * check_whole reads the file and tells damage from a wrong chunk table.
 */
static void check_complete(struct blob *b)
{
	uint8_t want[32];
	bool match = false;

	if (b->run) {
		digest_bytes(b->digest, want);
		pthread_mutex_lock(&b->run_lock);
		run_feed(b, 0, 0, NULL, NULL, NULL);
		if (!b->run_broken && !b->run_done && b->run_next == b->nchunks) {
			if (sha256_stream_final(b->run, b->run_md) < 0)
				b->run_broken = true;
			else
				b->run_done = true;
		}
		match = b->run_done && !memcmp(b->run_md, want, 32);
		pthread_mutex_unlock(&b->run_lock);
	}
	if (match)
		mark_verified(b);
	else
		check_whole(b);
}

/* Map bytes of chunks [C, C+N): 1, present. */
static int write_map(struct blob *b, uint64_t c, uint64_t n)
{
	uint8_t ones[512];

	memset(ones, 1, sizeof(ones));
	while (n) {
		size_t k = n < sizeof(ones) ? (size_t)n : sizeof(ones);

		if (pwrite_exact(b->map_fd, ones, k, c) < 0)
			return -1;
		c += k;
		n -= k;
	}
	return 0;
}

/* Store the good chunks of a window, then publish them and the failures. */
static int store(struct blob *b, uint64_t w0, uint64_t wn, const uint8_t *mine,
		 const uint8_t *mem, uint8_t *ok, struct error **err)
{
	bool failed = false, complete, cached;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	cached = b->cached;	/* wiped meanwhile: keep nothing */
	pthread_mutex_unlock(&b->lock);
	/* each run of good chunks in one write, then its map bytes in one */
	for (uint64_t i = 0; i < wn && cached;) {
		uint64_t j = i, c = w0 + i;

		if (!ok[i]) {
			i++;
			continue;
		}
		while (j + 1 < wn && ok[j + 1])
			j++;
		if (pwrite_exact(b->data_fd, mem + i * b->chunk_size,
				 (size_t)(chunk_off(b, w0 + j) + chunk_len(b, w0 + j) - chunk_off(b, c)),
				 chunk_off(b, c)) < 0 ||
		    write_map(b, c, j - i + 1) < 0) {
			if (!*err)
				error_set(err, errno, "chunks %" PRIu64 "-%" PRIu64 " of %s: write the cache",
					  c, w0 + j, b->digest);
			memset(ok + i, 0, (size_t)(j - i + 1));
			ret = -1;
		}
		i = j + 1;
	}
	/*
	 * Start writing them back now (a hint; nothing waits for it): a
	 * store fill ends with a syncfs, which otherwise found the whole
	 * blob still dirty and wrote it while the link sat idle.
	 */
	if (cached && wn)
		(void)sync_file_range(b->data_fd, (off64_t)chunk_off(b, w0),
				      (off64_t)(chunk_off(b, w0 + wn - 1) +
						chunk_len(b, w0 + wn - 1) - chunk_off(b, w0)),
				      SYNC_FILE_RANGE_WRITE);
	/* before publishing: whoever completes the blob finds them fed */
	if (cached && b->run) {
		pthread_mutex_lock(&b->run_lock);
		run_feed(b, w0, wn, mine, mem, ok);
		pthread_mutex_unlock(&b->run_lock);
	}
	pthread_mutex_lock(&b->lock);
	for (uint64_t i = 0; i < wn; i++) {
		uint64_t c = w0 + i;

		if (!mine[i])
			continue;
		b->state[c] &= (uint8_t)~CH_INFLIGHT;
		if (ok[i] && b->cached) {
			b->state[c] |= CH_PRESENT | CH_CHECKED;
			b->present++;
		} else if (!ok[i]) {
			failed = true;
		}
	}
	if (failed)
		b->fail_seq++;
	complete = b->cached && b->present == b->nchunks && !b->verified &&
		   !b->verifying;
	if (complete)
		b->verifying = true;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	if (complete) {
		check_complete(b);
		pthread_mutex_lock(&b->lock);
		b->verifying = false;
		pthread_mutex_unlock(&b->lock);
	}
	return ret;
}

/* Fetch, check and store the chunks of the window marked in MINE (claimed). */
static int fetch_window(struct blob *b, uint64_t w0, uint64_t wn,
			const uint8_t *mine, struct error **err)
{
	uint64_t bytes = chunk_off(b, w0 + wn - 1) + chunk_len(b, w0 + wn - 1) -
			 chunk_off(b, w0);
	uint8_t *mem = malloc((size_t)bytes), *ok = calloc(wn, 1);
	int ret;

	if (!mem || !ok) {
		ret = error_set(err, ENOMEM, "fetch chunks of %s", b->digest);
	} else {
		ret = fetch_verified(b, w0, wn, mine, mem, ok, err);
		for (uint64_t i = 0; i < wn; i++)
			if (ok[i])
				atomic_fetch_add(&b->chunks_fetched, 1);
	}
	if (ok) {
		if (store(b, w0, wn, mine, mem, ok, err) < 0)
			ret = -1;
	} else {
		/* release the claim without an ok table */
		pthread_mutex_lock(&b->lock);
		for (uint64_t i = 0; i < wn; i++)
			if (mine[i])
				b->state[w0 + i] &= (uint8_t)~CH_INFLIGHT;
		b->fail_seq++;
		pthread_cond_broadcast(&b->cond);
		pthread_mutex_unlock(&b->lock);
	}
	free(mem);
	free(ok);
	return ret;
}

static int poisoned(struct blob *b, struct error **err)
{
	return error_set_msg(err, EIO, "%s: the blob does not match its digest (its chunk table is wrong)",
			     b->digest);
}

static uint64_t batch_chunks(const struct blob *b)
{
	uint64_t n = BATCH_BYTES / b->chunk_size;

	return n ? n : 1;
}

/*
 * Chunk C, missing when this process looked, was fetched since by another
 * process sharing the cache (lowerfs while ovlmig fills a store): take it,
 * to be checked against its sha256 on its first read. Lock held.
 */
static bool present_on_disk(struct blob *b, uint64_t c)
{
	uint8_t byte = 0;

	if (pread(b->map_fd, &byte, 1, (off_t)c) != 1 || byte != 1)
		return false;
	b->state[c] |= CH_PRESENT;
	b->present++;
	return true;
}

/*
 * Make chunks [FIRST, FIRST+COUNT) present: fetch what nobody fetches,
 * wait for what others do. 1: the cache was wiped meanwhile.
 */
static int ensure(struct blob *b, uint64_t first, uint64_t count,
		  struct error **err)
{
	/* a rest of at most 1/8 batch joins the batch before it */
	uint64_t end = first + count, max = batch_chunks(b), cap = max + max / 8, lim = max;
	uint8_t *mine = calloc(cap, 1);
	int ret = 0;

	if (!mine)
		return error_set(err, ENOMEM, "read %s", b->digest);
	pthread_mutex_lock(&b->lock);
	for (;;) {
		uint64_t w0 = UINT64_MAX, wn = 0, seq;
		bool wait = false;

		if (b->poisoned) {
			ret = poisoned(b, err);
			break;
		}
		if (!b->cached) {
			ret = 1;
			break;
		}
		for (uint64_t c = first; c < end; c++) {
			if (b->state[c] & CH_PRESENT)
				continue;
			if (b->state[c] & CH_INFLIGHT) {
				wait = true;
				continue;
			}
			if (present_on_disk(b, c))
				continue;
			if (w0 == UINT64_MAX) {
				w0 = c;
				lim = end - c <= cap ? end - c : max;
			}
			if (c - w0 >= lim)
				break;
			b->state[c] |= CH_INFLIGHT;
			mine[c - w0] = 1;
			wn = c - w0 + 1;
		}
		if (wn) {
			pthread_mutex_unlock(&b->lock);
			ret = fetch_window(b, w0, wn, mine, err);
			memset(mine, 0, cap);
			pthread_mutex_lock(&b->lock);
			if (ret < 0)
				break;
			continue;
		}
		if (!wait)
			break;
		seq = b->fail_seq;
		pthread_cond_wait(&b->cond, &b->lock);
		if (seq == b->fail_seq)
			continue;
		for (uint64_t c = first; c < end; c++) {
			if (!(b->state[c] & (CH_PRESENT | CH_INFLIGHT))) {
				error_set_msg(err, EIO, "chunk %" PRIu64 " of %s: fetched by another reader, which failed",
					      c, b->digest);
				ret = -1;
				break;
			}
		}
		if (ret < 0)
			break;
	}
	pthread_mutex_unlock(&b->lock);
	free(mine);
	return ret;
}

/* Copy [OFF, OFF+LEN) from present chunks. 1: a chunk went missing or was bad. */
static int read_cached(struct blob *b, uint64_t off, uint8_t *buf, size_t len,
		       struct error **err)
{
	uint64_t c = off / b->chunk_size, end = off + len;
	uint8_t *tmp = NULL;
	int ret = 0;

	for (; off < end; c++) {
		uint64_t coff = chunk_off(b, c), cend = coff + chunk_len(b, c);
		size_t n = (size_t)((cend < end ? cend : end) - off);
		uint64_t last = c;
		uint8_t st;

		pthread_mutex_lock(&b->lock);
		st = b->state[c];
		/* checked chunks after it: read with it in one go */
		if ((st & (CH_PRESENT | CH_CHECKED)) == (CH_PRESENT | CH_CHECKED))
			while (cend < end && (b->state[last + 1] & (CH_PRESENT | CH_CHECKED)) ==
					     (CH_PRESENT | CH_CHECKED)) {
				last++;
				cend = chunk_off(b, last) + chunk_len(b, last);
			}
		pthread_mutex_unlock(&b->lock);
		if (!(st & CH_PRESENT)) {
			ret = 1;
			break;
		}
		if (st & CH_CHECKED) {
			n = (size_t)((cend < end ? cend : end) - off);
			if (pread_all(b->data_fd, buf, n, off) < 0) {
				ret = error_set(err, errno, "read %s", b->data_path);
				break;
			}
			c = last;
		} else {
			if (!tmp && !(tmp = malloc(b->chunk_size))) {
				ret = error_set(err, ENOMEM, "read %s", b->digest);
				break;
			}
			if (pread_all(b->data_fd, tmp, chunk_len(b, c), coff) < 0) {
				ret = error_set(err, errno, "read %s", b->data_path);
				break;
			}
			if (!chunk_ok(b, c, tmp)) {
				atomic_fetch_add(&b->mismatches, 1);
				image_log("blob %s: cached chunk %" PRIu64 " does not match its sha256: fetching it again",
					    b->digest, c);
				invalidate(b, c);
				ret = 1;
				break;
			}
			pthread_mutex_lock(&b->lock);
			b->state[c] |= CH_CHECKED;
			pthread_mutex_unlock(&b->lock);
			memcpy(buf, tmp + (off - coff), n);
		}
		buf += n;
		off += n;
	}
	free(tmp);
	return ret;
}

/* Without a cache: fetch the chunks of the read into memory, window by window. */
static int read_uncached(struct blob *b, uint64_t off, uint8_t *buf, size_t len,
			 struct error **err)
{
	uint64_t c = off / b->chunk_size, last = (off + len - 1) / b->chunk_size;
	uint64_t max = batch_chunks(b), end = off + len;
	uint8_t *want, *ok, *mem;
	int ret = 0;

	if (max > last - c + 1)
		max = last - c + 1;	/* no more memory than the read needs */
	want = malloc(max);
	ok = malloc(max);
	mem = malloc(max * b->chunk_size);

	if (!want || !ok || !mem) {
		ret = error_set(err, ENOMEM, "read %s", b->digest);
		goto out;
	}
	memset(want, 1, max);
	while (c <= last) {
		uint64_t wn = last - c + 1 < max ? last - c + 1 : max;
		uint64_t w_end = chunk_off(b, c + wn - 1) + chunk_len(b, c + wn - 1);
		uint64_t upto = w_end < end ? w_end : end;

		memset(ok, 0, max);
		ret = fetch_verified(b, c, wn, want, mem, ok, err);
		if (ret < 0)
			goto out;
		atomic_fetch_add(&b->chunks_fetched, wn);
		memcpy(buf, mem + (off - chunk_off(b, c)), (size_t)(upto - off));
		buf += upto - off;
		off = upto;
		c += wn;
	}
out:
	free(want);
	free(ok);
	free(mem);
	return ret;
}

static bool is_cached(struct blob *b)
{
	bool cached;

	pthread_mutex_lock(&b->lock);
	cached = b->cached;
	pthread_mutex_unlock(&b->lock);
	return cached;
}

int blob_read(struct blob *b, uint64_t off, void *buf, size_t len,
	      struct error **err)
{
	uint64_t first, last;

	if (off > b->size || len > b->size - off)
		return error_set_msg(err, EINVAL, "read %s: bytes %" PRIu64 "+%zu beyond its %" PRIu64,
				     b->digest, off, len, b->size);
	if (!len)
		return 0;
	first = off / b->chunk_size;
	last = (off + len - 1) / b->chunk_size;
	for (int round = 0; round < READ_ROUNDS; round++) {
		int r;

		if (!is_cached(b))
			return read_uncached(b, off, buf, len, err);
		r = ensure(b, first, last - first + 1, err);
		if (r < 0)
			return -1;
		if (r == 1)
			continue;
		r = read_cached(b, off, buf, len, err);
		if (r <= 0)
			return r;
	}
	return error_set_msg(err, EIO, "read %s at %" PRIu64 ": its cached chunks keep failing their check",
			     b->digest, off);
}

int blob_fetch_chunks(struct blob *b, uint64_t first, uint64_t count,
		      struct error **err)
{
	if (first > b->nchunks || count > b->nchunks - first)
		return error_set_msg(err, EINVAL, "%s: chunks %" PRIu64 "+%" PRIu64 " beyond its %" PRIu64,
				     b->digest, first, count, b->nchunks);
	if (!count || !is_cached(b))
		return 0;	/* without a cache nothing can be kept */
	return ensure(b, first, count, err) < 0 ? -1 : 0;
}

bool blob_chunk_present(struct blob *b, uint64_t chunk)
{
	bool present;

	if (chunk >= b->nchunks)
		return false;
	pthread_mutex_lock(&b->lock);
	present = b->cached && (b->state[chunk] & CH_PRESENT);
	pthread_mutex_unlock(&b->lock);
	return present;
}

void blob_stats(struct blob *b, struct blob_stats *out)
{
	out->chunks_fetched = atomic_load(&b->chunks_fetched);
	out->bytes_fetched = atomic_load(&b->bytes_fetched);
	out->mismatches = atomic_load(&b->mismatches);
	out->whole_checks = atomic_load(&b->whole_checks);
	out->chunks_reread = atomic_load(&b->chunks_reread);
	out->nchunks = b->nchunks;
	pthread_mutex_lock(&b->lock);
	out->chunks_cached = b->cached ? b->present : 0;
	out->verified = b->verified;
	pthread_mutex_unlock(&b->lock);
}

int blob_wipe(struct blob *b, struct error **err)
{
	int ret = 0;

	if (!b->data_path)
		return 0;
	pthread_mutex_lock(&b->lock);
	b->cached = false;	/* from now on reads fetch into memory */
	for (uint64_t c = 0; c < b->nchunks; c++)
		b->state[c] &= CH_INFLIGHT;
	b->present = 0;
	b->verified = false;
	pthread_mutex_unlock(&b->lock);
	if (unlink(b->map_path) < 0 && errno != ENOENT)
		ret = error_set(err, errno, "remove %s", b->map_path);
	else if (unlink(b->data_path) < 0 && errno != ENOENT)
		ret = error_set(err, errno, "remove %s", b->data_path);
	return ret;
}

/* ---- open and close ---- */

static int open_file(const char *path, int *fd, struct error **err)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	return *fd < 0 ? error_set(err, errno, "open %s", path) : 0;
}

/* Load the map; start both files over when they do not fit this blob. */
static int load_map(struct blob *b, struct error **err)
{
	struct stat ds, ms;
	uint8_t *map;

	if (fstat(b->data_fd, &ds) < 0 || fstat(b->map_fd, &ms) < 0)
		return error_set(err, errno, "stat %s", b->data_path);
	if ((uint64_t)ds.st_size != b->size || (uint64_t)ms.st_size != b->nchunks) {
		/* the map first: a crash in between leaves no map byte behind */
		if (ftruncate(b->map_fd, 0) < 0 ||
		    ftruncate(b->map_fd, (off_t)b->nchunks) < 0)
			return error_set(err, errno, "reset %s", b->map_path);
		if (ftruncate(b->data_fd, (off_t)b->size) < 0)
			return error_set(err, errno, "size %s", b->data_path);
		return 0;
	}
	if (!b->nchunks)
		return 0;
	map = malloc(b->nchunks);
	if (!map)
		return error_set(err, ENOMEM, "read %s", b->map_path);
	if (pread_all(b->map_fd, map, b->nchunks, 0) < 0) {
		free(map);
		return error_set(err, errno, "read %s", b->map_path);
	}
	for (uint64_t c = 0; c < b->nchunks; c++) {
		if (map[c] == 1) {
			b->state[c] = CH_PRESENT;
			b->present++;
		}
	}
	free(map);
	return 0;
}

static int open_cache(struct blob *b, const char *cache_dir, struct error **err)
{
	char *dir = path_join(cache_dir, "blobs");

	if (!dir)
		return error_set(err, ENOMEM, "cache");
	if (make_dirs(dir, 0700, err) < 0) {
		free(dir);
		return -1;
	}
	if (asprintf(&b->data_path, "%s/%s.data", dir, b->digest + 7) < 0)
		b->data_path = NULL;
	if (asprintf(&b->map_path, "%s/%s.map", dir, b->digest + 7) < 0)
		b->map_path = NULL;
	free(dir);
	if (!b->data_path || !b->map_path)
		return error_set(err, ENOMEM, "cache");
	if (open_file(b->data_path, &b->data_fd, err) < 0 ||
	    open_file(b->map_path, &b->map_fd, err) < 0)
		return -1;
	if (load_map(b, err) < 0)
		return -1;
	b->run = sha256_stream_new();
	if (!b->run)
		return error_set(err, ENOMEM, "sha256");
	b->cached = true;
	return 0;
}

int blob_open(struct fetcher *f, const char *url, const char *digest,
	      uint64_t size, uint32_t chunk_size,
	      const uint8_t (*chunk_sha256)[32], uint64_t nchunks,
	      const char *cache_dir, struct blob **out, struct error **err)
{
	struct blob *b;

	if (!digest_valid(digest))
		return error_set_msg(err, EINVAL, "blob %s: digest %s", url,
				     digest_problem(digest));
	if (!chunk_size || size > INT64_MAX ||
	    nchunks != size / chunk_size + (size % chunk_size != 0))
		return error_set_msg(err, EINVAL, "blob %s: %" PRIu64 " chunks of %" PRIu32 " do not make %" PRIu64 " bytes",
				     digest, nchunks, chunk_size, size);
	b = calloc(1, sizeof(*b));
	if (!b)
		return error_set(err, ENOMEM, "blob %s", digest);
	b->f = f;
	b->data_fd = b->map_fd = -1;
	b->size = size;
	b->chunk_size = chunk_size;
	b->nchunks = nchunks;
	memcpy(b->digest, digest, DIGEST_STRLEN + 1);
	pthread_mutex_init(&b->lock, NULL);
	pthread_mutex_init(&b->run_lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->url = strdup(url);
	b->state = calloc(nchunks ? nchunks : 1, 1);
	b->sha = malloc(nchunks ? nchunks * 32 : 1);
	if (!b->url || !b->state || !b->sha) {
		error_set(err, ENOMEM, "blob %s", digest);
		goto fail;
	}
	b->chunk_table = chunk_sha256 != NULL;
	if (nchunks && chunk_sha256)
		memcpy(b->sha, chunk_sha256, nchunks * 32);
	if (cache_dir && open_cache(b, cache_dir, err) < 0) {
		error_wrap(err, "blob %s", digest);
		goto fail;
	}
	if (!nchunks)
		b->verified = digest_matches(digest, "", 0);
	else if (b->cached && b->present == nchunks)
		check_whole(b);
	*out = b;
	return 0;
fail:
	blob_close(b);
	return -1;
}

void blob_close(struct blob *b)
{
	if (!b)
		return;
	if (b->data_fd >= 0)
		close(b->data_fd);
	if (b->map_fd >= 0)
		close(b->map_fd);
	sha256_stream_free(b->run);
	pthread_mutex_destroy(&b->lock);
	pthread_mutex_destroy(&b->run_lock);
	pthread_cond_destroy(&b->cond);
	free(b->data_path);
	free(b->map_path);
	free(b->url);
	free(b->state);
	free(b->sha);
	free(b);
}
