// SPDX-License-Identifier: MIT
/*
 * The name of an image in the store. For oci: and docker:// its manifest
 * digest, as the registry or layout names it: every reference to that
 * manifest (tags, @digest) shares the directory, a pushed change gets a
 * new one. For dir: and tar:, which have no manifest, a sha256 of
 * everything the indexed tree says (shape, names, attributes, xattrs,
 * where the data comes from: paths and offsets). Cheap either way: no
 * file data is read.
 */
#include "store_id.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../image/digest.h"

/* seen[node]: its place in the walk plus one, for later names of it */
struct walk {
	EVP_MD_CTX *c;
	bool failed;		/* an update failed: so does the digest */
	uint32_t *seen, next;
};

static void feed(struct walk *w, const void *p, size_t len)
{
	if (EVP_DigestUpdate(w->c, p, len) != 1)
		w->failed = true;
}

/* A string and its end, so "ab"+"c" and "a"+"bc" differ. */
static void feed_str(struct walk *w, const char *s)
{
	if (s)
		feed(w, s, strlen(s) + 1);
	else
		feed(w, "\xff", 1);
}

static void feed_attrs(struct walk *w, const struct image_node *n)
{
	uint64_t f[10] = { n->mode, n->uid, n->gid, n->size, (uint64_t)n->rdev,
			   (uint64_t)n->mtime.tv_sec, (uint64_t)n->mtime.tv_nsec,
			   n->nxattrs, n->nchildren, n->src_off };
	uint32_t i;

	feed(w, f, sizeof(f));
	feed_str(w, n->link);
	feed_str(w, n->src_ref);
	for (i = 0; i < n->nxattrs; i++) {
		feed_str(w, n->xattrs[i].name);
		feed(w, &n->xattrs[i].size, sizeof(n->xattrs[i].size));
		feed(w, n->xattrs[i].value, n->xattrs[i].size);
	}
}

/*
 * Depth first by name (children are sorted), not by node number: the
 * order a dir: source indexes in is readdir's, which may differ.
 */
static void feed_tree(struct walk *w, const struct image *img, uint32_t node)
{
	const struct image_node *n = &img->nodes[node];
	uint32_t i;

	if (w->seen[node]) {		/* another name of a file fed already */
		feed(w, "=", 1);
		feed(w, &w->seen[node], sizeof(w->seen[node]));
		return;
	}
	w->seen[node] = ++w->next;
	feed_attrs(w, n);
	for (i = 0; i < n->nchildren; i++) {
		feed_str(w, n->children[i].name);
		feed_tree(w, img, n->children[i].node);
	}
}

static int tree_id(const struct image *img, char out[STORE_ID_LEN + 1],
		   struct error **err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	struct walk w = { .c = c, .seen = calloc(img->count ? img->count : 1, sizeof(uint32_t)) };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!c || !w.seen || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(c);
		free(w.seen);
		return error_set(err, ENOMEM, "image id");
	}
	feed(&w, "ovlmig-store-1", 15);	/* a new layout gets new names */
	if (img->count)
		feed_tree(&w, img, 0);
	free(w.seen);
	if (w.failed || !EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32) {
		EVP_MD_CTX_free(c);
		return error_set(err, EIO, "image id: sha256");
	}
	EVP_MD_CTX_free(c);
	memcpy(out, "sha256-", 7);
	for (i = 0; i < mdlen; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int store_image_id(const struct image_handle *h, char out[STORE_ID_LEN + 1],
		   struct error **err)
{
	const char *digest = image_digest(h);

	if (!digest)
		return tree_id(image_tree(h), out, err);
	/* a ':' is not a name every tool takes: "sha256-<hex>" */
	if (!digest_valid(digest))
		return error_set(err, EINVAL, "image id: manifest digest '%.80s'", digest);
	memcpy(out, "sha256-", 7);
	memcpy(out + 7, digest + 7, STORE_ID_LEN - 7 + 1);
	return 0;
}
