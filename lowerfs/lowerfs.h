/* SPDX-License-Identifier: MIT */
/*
 * lowerfs: a lazy, read-only FUSE server for an immutable image.
 * This header holds the server state that the FUSE handlers, the data
 * path and the control socket share.
 */
#ifndef LOWERFS_H
#define LOWERFS_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/error.h"
#include "../control/fetch_latency.h"
#include "../image/cache.h"
#include "../image/tree.h"
#include "../image/source.h"

#define LOWERFS_MAX_OPCODE 64

/* What the kernel holds of a node, and how its data is served. */
struct node_state {
	atomic_uint_fast64_t lookups;	/* kernel references (LOOKUP - FORGET) */
	atomic_uint opens;		/* open files (OPEN - RELEASE) */
	pthread_mutex_t lock;		/* guards the fields below */
	int data_fd;			/* cache or source file; -1 when closed */
	int backing_id;			/* passthrough backing id; 0 when none */
	bool no_passthrough;		/* backing registration failed once */
	bool chunked;			/* too large to fetch whole: READs go to the source */
	bool cache_checked;		/* its cached file's digest was checked */
	atomic_bool recorded;		/* --record-access wrote its path */
};

struct lowerfs_stats {
	atomic_uint_fast64_t bytes_fetched;
	atomic_uint_fast64_t files_fetched;
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t bytes_read;	/* served by READ, not passthrough */
	atomic_uint_fast64_t passthrough_opens;
	atomic_uint_fast64_t fallback_opens;
	atomic_uint_fast64_t chunked_opens;	/* beyond --whole-file-max */
	atomic_uint_fast64_t fetch_errors;
	atomic_uint_fast64_t store_hits;	/* served from the image store, not fetched */
	atomic_uint_fast64_t store_fed_files;	/* put into the image store */
	atomic_uint_fast64_t store_fed_bytes;
	atomic_uint_fast64_t requests[LOWERFS_MAX_OPCODE];
	/* fetches from the source, failed ones too, by how long they took */
	atomic_uint_fast64_t fetch_latency[FETCH_LATENCY_BUCKETS];
	atomic_uint_fast64_t fetch_latency_sum_us;
};

struct lowerfs_opts {
	const char *source_spec;
	const char *mountpoint;
	const char *cache_dir;
	const char *run_dir;
	const char *log_file;
	struct source_opts link;
	uint64_t timeout_sec;		/* entry and attribute timeout */
	bool timeout_set;		/* false: infinite */
	unsigned threads;
	bool foreground;
	bool no_passthrough;
	bool export_support;		/* decodable file handles */
	const char *keeper;		/* socket of a keeper of the connection */
	int takeover_fd;		/* > 0: an inherited /dev/fuse connection */
	uint64_t whole_file_max;	/* larger files are read by chunks */
	bool prefetch;			/* start the background prefetch at mount */
	const char *prefetch_list;	/* paths to prefetch first */
	uint64_t prefetch_bandwidth_mbps;	/* 0: no cap */
	const char *record_access;	/* append each first-opened path here */
	const char *store_image;	/* feed this image store (store_feed.c) */
	bool load_in_background;	/* mount first, load the tree on a thread (tree_load.c) */
};

struct store_feed;

enum tree_state { TREE_LOADING, TREE_READY, TREE_FAILED };

/*
 * The image's tree (img, nodes, cache, feed) while it loads on a thread
 * (tree_load.c): requests that need it wait for TREE_READY. Written by
 * the loader alone until then; read-only for everyone after.
 */
struct tree_load {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum tree_state state;		/* under lock */
	char *pending_store;		/* store-image asked before TREE_READY */
	pthread_t thread;
	bool started;
	int done_fd;			/* eventfd: the main loop learns it ended */
	uint64_t start_ns;
};

struct lowerfs {
	struct lowerfs_opts opts;
	struct image img;
	struct node_state *nodes;
	struct source *src;
	struct cache *cache;		/* NULL: serve from the source */
	struct lowerfs_stats stats;

	int devfd;			/* /dev/fuse */
	bool mounted;
	uint32_t proto_minor;		/* negotiated at INIT */
	bool passthrough;		/* negotiated at INIT */
	bool no_opendir;		/* kernel takes zero-message opendir */
	bool taken_over;		/* serving a connection a dead lowerfs set up */
	uint64_t timeout_sec;
	uint32_t timeout_nsec;

	atomic_bool stopping;
	int wake_fd;			/* eventfd: wakes the main thread */
	const char *exit_reason;

	pthread_t prefetch_thread;
	bool prefetch_started;
	atomic_bool prefetch_running;
	atomic_bool prefetch_whole;	/* every file, not only the listed ones */
	atomic_uint_fast64_t prefetch_done;	/* files */
	atomic_uint demand;		/* on-demand fetches under way: prefetch waits */
	/* the prefetch's processor (niced): its thread, the node it holds + 1 */
	atomic_int processor_tid;
	atomic_uint processor_node;
	atomic_bool processor_boosted;	/* an open waits on its node: at nice 0 */
	_Atomic(struct store_feed *) feed;	/* NULL: no image store to feed */
	FILE *record;			/* --record-access */
	pthread_mutex_t record_lock;
	struct tree_load tree;
};

/* Data path (data.c): open a node's data and set up passthrough. */
int node_data_open(struct lowerfs *fs, uint32_t node, int *backing_id,
		   struct error **err);
void node_data_release(struct lowerfs *fs, uint32_t node);
int node_data_reopen(struct lowerfs *fs, uint32_t node);
/* Make sure NODE is in the cache (no-op without a cache). */
int node_prefetch(struct lowerfs *fs, uint32_t node, struct error **err);
/* READ of a file too large to fetch whole: from the source, by chunks. */
ssize_t node_read_chunked(struct lowerfs *fs, uint32_t node, uint64_t off,
			  void *buf, size_t len, struct error **err);

/*
 * Background prefetch (prefetch.c): the listed files first (--prefetch-list,
 * else the list published with the image), then, if WHOLE, the rest.
 */
int prefetch_start(struct lowerfs *fs, bool whole, struct error **err);
void prefetch_join(struct lowerfs *fs);
/*
 * An open is about to wait for NODE: if the niced processor holds it,
 * it runs at the open's priority until it lets it go (a read never waits
 * on background work done at background priority).
 */
void prefetch_boost(struct lowerfs *fs, uint32_t node);
/*
 * The regular files a prefetch list TEXT names (prefetch_list.c), in its
 * order; lines naming anything else are ignored and logged (WHAT: where
 * the list came from). *NODES is malloc'd (NULL when empty).
 */
int prefetch_list_parse(struct lowerfs *fs, const char *what, const char *text,
			size_t len, uint32_t **nodes, size_t *count,
			struct error **err);
/*
 * The image store of strategy store (store_feed.c): from DIR on, files
 * fetched whole go into DIR/data too. Set once; another DIR is refused.
 */
int store_feed_start(struct lowerfs *fs, const char *dir, struct error **err);
void store_feed_stop(struct lowerfs *fs);
/* Put NODE's verified cached file FD into the store, unless there (errors logged). */
void store_feed_file(struct lowerfs *fs, uint32_t node, int fd);
/* NODE's file in the store opened read-only if it is there whole, else -1. */
int store_feed_lookup(struct lowerfs *fs, uint32_t node);
/* --record-access (record_access.c): open the list, note a first open. */
int record_access_open(struct lowerfs *fs, struct error **err);
void record_access(struct lowerfs *fs, uint32_t node);
void record_access_close(struct lowerfs *fs);
int nodes_init(struct lowerfs *fs, struct error **err);
void nodes_free(struct lowerfs *fs);

/*
 * The image's tree (tree_load.c): read from the source (index, node
 * table, cache, record list, image store), here and now (tree_load_now)
 * or on a thread (tree_load_start) while the mount already answers.
 */
int tree_load_init(struct lowerfs *fs, struct error **err);
int tree_load_now(struct lowerfs *fs, struct error **err);
int tree_load_start(struct lowerfs *fs, struct error **err);
/* 0 once the tree is there; -1 if it failed or lowerfs is stopping. */
int tree_wait(struct lowerfs *fs);
bool tree_ready(struct lowerfs *fs);
/* store-image DIR: now if the tree is there, else once it is. */
int tree_store_image(struct lowerfs *fs, const char *dir, struct error **err);
/* Wake the waiters (lowerfs stops), wait for the loader, free the rest. */
void tree_load_stop(struct lowerfs *fs);
uint64_t nodes_live_count(struct lowerfs *fs);

/* FUSE device (fuse_dev.c). */
int fuse_dev_mount(struct lowerfs *fs, struct error **err);
int fuse_dev_start(struct lowerfs *fs, pthread_t **threads, struct error **err);
void fuse_dev_stop(struct lowerfs *fs, pthread_t *threads);
void fuse_dev_unmount(struct lowerfs *fs);
/* Tell the kernel to drop cached names and pages (control: invalidate). */
int fuse_notify_inval_entry(struct lowerfs *fs, uint32_t parent,
			    const char *name);
int fuse_notify_inval_inode(struct lowerfs *fs, uint32_t node);
/* Ask the kernel to queue again what a dead predecessor had read. */
int fuse_notify_resend(struct lowerfs *fs);

/* Wake the main loop to exit with REASON (static string). */
void lowerfs_request_exit(struct lowerfs *fs, const char *reason);

/* Logging with a timestamp, to the log file or stderr. */
void lowerfs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a va_list: the image library's log hook. */
void lowerfs_vlog(const char *fmt, va_list ap);
void lowerfs_log_to(FILE *f);

/* The default run directory for a mountpoint: /run/lowerfs/<escaped path>. */
char *lowerfs_default_run_dir(const char *mountpoint);

/* `lowerfs ctl ...` (control_cli.c). */
int control_cli_main(int argc, char **argv);

#endif
