// SPDX-License-Identifier: MIT
#include "span_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct span {
	uint32_t layer;
	uint32_t checkpoint;	/* the span starts at this checkpoint */
	uint64_t start, len;	/* what is decompressed of it, from start */
	char *data;
	bool ready, filling;
	uint64_t used;		/* LRU tick */
};

struct span_cache {
	pthread_mutex_t lock;
	pthread_cond_t filled;
	struct span *slots;
	unsigned nslots;
	uint64_t max_span;
	uint64_t tick;
};

int span_cache_new(unsigned slots, uint64_t max_span, struct span_cache **out,
		   struct error **err)
{
	struct span_cache *c = calloc(1, sizeof(*c));

	if (!c || !(c->slots = calloc(slots ? slots : 1, sizeof(*c->slots)))) {
		free(c);
		return error_set(err, ENOMEM, "span cache");
	}
	c->nslots = slots ? slots : 1;
	c->max_span = max_span;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->filled, NULL);
	*out = c;
	return 0;
}

void span_cache_free(struct span_cache *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < c->nslots; i++)
		free(c->slots[i].data);
	pthread_cond_destroy(&c->filled);
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

struct mem_sink {
	char *buf;
	uint64_t len, done;
};

static int mem_sink(void *ctx, const void *data, size_t len, struct error **err)
{
	struct mem_sink *m = ctx;

	if (len > m->len - m->done)
		return error_set(err, EIO, "layer gave more than asked");
	memcpy(m->buf + m->done, data, len);
	m->done += len;
	return 0;
}

static int read_direct(struct layer_set *ls, uint32_t l, uint64_t off,
		       void *buf, size_t len, struct error **err)
{
	struct mem_sink m = { .buf = buf, .len = len };

	if (layer_set_read(ls, l, off, len, mem_sink, &m, err) < 0)
		return -1;
	if (m.done != len)
		return error_set(err, EIO, "layer %u: %llu bytes at %llu, got %llu",
				 l, (unsigned long long)len,
				 (unsigned long long)off,
				 (unsigned long long)m.done);
	return 0;
}

/* A slot to fill: the least recently used one not being filled. */
static struct span *victim(struct span_cache *c)
{
	struct span *best = NULL;
	unsigned i;

	for (i = 0; i < c->nslots; i++) {
		struct span *s = &c->slots[i];

		if (!s->filling && (!best || s->used < best->used))
			best = s;
	}
	return best;
}

static struct span *find(struct span_cache *c, uint32_t l, uint32_t cp)
{
	unsigned i;

	for (i = 0; i < c->nslots; i++) {
		struct span *s = &c->slots[i];

		if ((s->ready || s->filling) && s->layer == l &&
		    s->checkpoint == cp)
			return s;
	}
	return NULL;
}

/* Fill S outside the lock; others wanting it wait on `filled`. */
static int fill(struct span_cache *c, struct span *s, struct layer_set *ls,
		struct error **err)
{
	char *data = malloc(s->len ? s->len : 1);
	int ret = -1;

	pthread_mutex_unlock(&c->lock);
	if (!data)
		error_set(err, ENOMEM, "span of %llu bytes",
			  (unsigned long long)s->len);
	else
		ret = read_direct(ls, s->layer, s->start, data, s->len, err);
	pthread_mutex_lock(&c->lock);
	s->filling = false;
	if (ret == 0) {
		free(s->data);
		s->data = data;
		s->ready = true;
	} else {
		free(data);
	}
	pthread_cond_broadcast(&c->filled);
	return ret;
}

/*
 * Copy what span CP of layer L, [START, END), holds of [OFF, OFF+N),
 * decompressing it from START up to FILL_END if it is not there yet, or
 * not that far: a span is decompressed only as far as a reader needs.
 * Lock held.
 */
static int read_span(struct span_cache *c, struct layer_set *ls, uint32_t l,
		     uint32_t cp, uint64_t start, uint64_t end,
		     uint64_t fill_end, uint64_t off, char *buf, size_t n,
		     struct error **err)
{
	struct span *s;

	for (;;) {
		s = find(c, l, cp);
		if (s && s->ready && off + n <= s->start + s->len)
			break;
		if (s && s->filling) {
			pthread_cond_wait(&c->filled, &c->lock);
			continue;
		}
		/*
		 * A span decompressed not far enough is decompressed again,
		 * at least twice as far: files read one after the other in a
		 * span cost at most about three decompressions of it, not one
		 * per file.
		 */
		if (s && fill_end - start < 2 * s->len)
			fill_end = end - start < 2 * s->len ? end :
				   start + 2 * s->len;
		if (!s)
			s = victim(c);
		if (!s) {
			pthread_cond_wait(&c->filled, &c->lock);
			continue;
		}
		s->ready = false;
		s->filling = true;
		s->layer = l;
		s->checkpoint = cp;
		s->start = start;
		s->len = fill_end - start;
		if (fill(c, s, ls, err) < 0)
			return -1;
	}
	memcpy(buf, s->data + (off - s->start), n);
	s->used = ++c->tick;
	return 0;
}

int span_cache_read(struct span_cache *c, struct layer_set *ls, uint32_t l,
		    uint64_t off, void *buf, size_t len, uint64_t upto,
		    struct error **err)
{
	const struct layer_index *idx;
	char *out = buf;
	int ret = 0;

	if (layer_set_ready(ls, l, err) < 0)
		return -1;
	idx = &ls->layers[l].idx;
	if (idx->compression == LAYER_PLAIN || !idx->ncheckpoints ||
	    off > idx->uncompressed_size ||
	    len > idx->uncompressed_size - off)
		return read_direct(ls, l, off, buf, len, err);
	/* a TOC's spans are a file's chunks: fetch them together, not one by one */
	if (layer_set_fetch_spans(ls, l, off, len, err) < 0)
		return -1;
	pthread_mutex_lock(&c->lock);
	while (len && ret == 0) {
		uint32_t cp = layer_checkpoint_at(idx, off);
		uint64_t start = idx->checkpoints[cp].out_off;
		uint64_t end = cp + 1 < idx->ncheckpoints ?
			       idx->checkpoints[cp + 1].out_off :
			       idx->uncompressed_size;
		size_t n = end - off < len ? (size_t)(end - off) : len;
		uint64_t fill_end = off + n > upto ? off + n : upto;

		if (fill_end > end)
			fill_end = end;
		if (end - start > c->max_span) {
			/* too large to keep: decompress just this piece */
			pthread_mutex_unlock(&c->lock);
			ret = read_direct(ls, l, off, out, n, err);
			pthread_mutex_lock(&c->lock);
		} else {
			ret = read_span(c, ls, l, cp, start, end, fill_end,
					off, out, n, err);
		}
		off += n;
		out += n;
		len -= n;
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}
