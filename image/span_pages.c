// SPDX-License-Identifier: MIT
/* A companion's span digests, a page at a time (span_pages.h). */
#include "span_pages.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "referrers.h"

#define PAGE_BYTES (COMPANION_SPAN_PAGE * 32)

struct span_pages {
	char *url;
	uint32_t nspans, npages;
	uint8_t (*page_sha)[32];
	bool *loaded;
	pthread_mutex_t lock;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int span_pages_new(const char *url, const char *pages_hex, uint32_t nspans,
		   struct span_pages **out, struct error **err)
{
	struct span_pages *p = calloc(1, sizeof(*p));
	uint32_t npages = (uint32_t)(((uint64_t)nspans + COMPANION_SPAN_PAGE - 1) / COMPANION_SPAN_PAGE);

	*out = NULL;
	if (!p)
		return error_set(err, ENOMEM, "span pages");
	if (!nspans || !pages_hex || strlen(pages_hex) != (size_t)npages * 64) {
		free(p);
		return error_set_msg(err, EINVAL, "span pages: %zu hex digits for %u spans",
				     pages_hex ? strlen(pages_hex) : 0, nspans);
	}
	p->url = strdup(url);
	p->page_sha = calloc(npages, sizeof(*p->page_sha));
	p->loaded = calloc(npages, sizeof(*p->loaded));
	if (!p->url || !p->page_sha || !p->loaded) {
		span_pages_free(p);
		return error_set(err, ENOMEM, "span pages");
	}
	for (size_t i = 0; i < (size_t)npages * 32; i++) {
		int hi = hexval(pages_hex[2 * i]), lo = hexval(pages_hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			span_pages_free(p);
			return error_set_msg(err, EINVAL, "span pages: not hex");
		}
		p->page_sha[i / 32][i % 32] = (uint8_t)(hi << 4 | lo);
	}
	p->nspans = nspans;
	p->npages = npages;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

/* The bytes of page K in a blob of NSPANS digests. */
static size_t page_len(const struct span_pages *p, uint32_t k)
{
	uint64_t end = (uint64_t)(k + 1) * COMPANION_SPAN_PAGE;

	return (size_t)((end < p->nspans ? end : p->nspans) - (uint64_t)k * COMPANION_SPAN_PAGE) * 32;
}

/* Pages [A, B) fetched into BUF and checked: the first bad one, or -1 none. */
static int fetch_run(struct span_pages *p, struct fetcher *f, uint32_t a, uint32_t b,
		     uint8_t *buf, int64_t *bad, struct error **err)
{
	struct fetch_range r = { .off = (uint64_t)a * PAGE_BYTES, .buf = buf };
	uint8_t md[32];

	r.len = 0;
	for (uint32_t k = a; k < b; k++)
		r.len += page_len(p, k);
	if (fetcher_get_ranges(f, p->url, &r, 1, err) < 0)
		return -1;
	*bad = -1;
	for (uint32_t k = a; k < b; k++) {
		size_t at = (size_t)(k - a) * PAGE_BYTES;

		if (sha256_buf(buf + at, page_len(p, k), md) < 0)
			return error_set(err, EIO, "sha256");
		if (memcmp(md, p->page_sha[k], 32)) {
			*bad = k;
			return 0;
		}
	}
	return 0;
}

int span_pages_ensure(struct span_pages *p, struct fetcher *f,
		      uint8_t (*span_sha256)[32], uint32_t first, uint32_t last,
		      struct error **err)
{
	uint32_t a, b, k;
	int ret = 0;

	if (first > last || last >= p->nspans)
		return error_set(err, ERANGE, "span digests %u..%u of %u", first, last, p->nspans);
	pthread_mutex_lock(&p->lock);
	for (a = first / COMPANION_SPAN_PAGE; a <= last / COMPANION_SPAN_PAGE && !ret; a = b) {
		uint8_t *buf;
		int64_t bad = -1;

		if (p->loaded[a]) {
			b = a + 1;
			continue;
		}
		for (b = a + 1; b <= last / COMPANION_SPAN_PAGE && !p->loaded[b]; b++)
			;
		buf = malloc((size_t)(b - a) * PAGE_BYTES);
		if (!buf) {
			ret = error_set(err, ENOMEM, "span digests");
			break;
		}
		/* a page that does not match: a transfer gone wrong, once */
		for (int attempt = 0; attempt < 2; attempt++) {
			ret = fetch_run(p, f, a, b, buf, &bad, err);
			if (ret < 0 || bad < 0)
				break;
		}
		if (!ret && bad >= 0)
			ret = error_set_msg(err, EIO, "span digests %s: page %lld does not match its sha256",
					    p->url, (long long)bad);
		if (!ret)
			for (k = a; k < b; k++) {
				memcpy(span_sha256[(size_t)k * COMPANION_SPAN_PAGE],
				       buf + (size_t)(k - a) * PAGE_BYTES, page_len(p, k));
				p->loaded[k] = true;
			}
		free(buf);
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

void span_pages_free(struct span_pages *p)
{
	if (!p)
		return;
	if (p->npages)
		pthread_mutex_destroy(&p->lock);
	free(p->url);
	free(p->page_sha);
	free(p->loaded);
	free(p);
}
