/* SPDX-License-Identifier: MIT */
/*
 * lowerfs: a lazy, read-only FUSE server for an immutable image.
 * This header holds the server state that the FUSE handlers, the data
 * path and the control socket share.
 */
#ifndef LOWERFS_H
#define LOWERFS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/error.h"
#include "cache.h"
#include "image.h"
#include "source.h"

#define LOWERFS_MAX_OPCODE 64

/* What the kernel holds of a node, and how its data is served. */
struct node_state {
	atomic_uint_fast64_t lookups;	/* kernel references (LOOKUP - FORGET) */
	atomic_uint opens;		/* open files (OPEN - RELEASE) */
	pthread_mutex_t lock;		/* guards the fields below */
	int data_fd;			/* cache or source file; -1 when closed */
	int backing_id;			/* passthrough backing id; 0 when none */
	bool no_passthrough;		/* backing registration failed once */
};

struct lowerfs_stats {
	atomic_uint_fast64_t bytes_fetched;
	atomic_uint_fast64_t files_fetched;
	atomic_uint_fast64_t cache_hits;
	atomic_uint_fast64_t bytes_read;	/* served by READ, not passthrough */
	atomic_uint_fast64_t passthrough_opens;
	atomic_uint_fast64_t fallback_opens;
	atomic_uint_fast64_t fetch_errors;
	atomic_uint_fast64_t requests[LOWERFS_MAX_OPCODE];
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
	atomic_bool prefetch_running;
};

/* Data path (data.c): open a node's data and set up passthrough. */
int node_data_open(struct lowerfs *fs, uint32_t node, int *backing_id,
		   struct error **err);
void node_data_release(struct lowerfs *fs, uint32_t node);
int node_data_reopen(struct lowerfs *fs, uint32_t node);
/* Make sure NODE is in the cache (no-op without a cache). */
int node_prefetch(struct lowerfs *fs, uint32_t node, struct error **err);
int nodes_init(struct lowerfs *fs, struct error **err);
void nodes_free(struct lowerfs *fs);
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
void lowerfs_log_to(FILE *f);

/* The default run directory for a mountpoint: /run/lowerfs/<escaped path>. */
char *lowerfs_default_run_dir(const char *mountpoint);

/* `lowerfs ctl ...` (ctl.c). */
int ctl_main(int argc, char **argv);

#endif
