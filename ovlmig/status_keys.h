/* SPDX-License-Identifier: MIT */
/*
 * The keys of `ovlmig status --json` (and serve's status reply), and of
 * its "progress" object (STATE_DIR/progress.json): written by status.c
 * and progress.c, read by cmd_status.c, in one place.
 */
#ifndef OVLMIG_STATUS_KEYS_H
#define OVLMIG_STATUS_KEYS_H

#define STATUS_NAME		"name"
#define STATUS_TARGET		"target"
#define STATUS_STRATEGY		"strategy"
#define STATUS_PHASE		"phase"
#define STATUS_SOURCE		"source"
#define STATUS_UPPER		"upper"
#define STATUS_MOUNTED		"mounted"
#define STATUS_LOWER_ATTACHED	"lower_attached"
#define STATUS_LOWERFS_PID	"lowerfs_pid"
#define STATUS_LOWERFS		"lowerfs"	/* lowerfs' own stats */
#define STATUS_LOWERFS_ERROR	"lowerfs_error"
#define STATUS_ERROR		"error"		/* the lower cannot serve */
#define STATUS_STALE		"stale"		/* why the state is a leftover */
#define STATUS_PROGRESS		"progress"
#define STATUS_STORE		"store"		/* strategy store: the image's directory */
#define STATUS_FILL		"fill"		/* strategy store, until detached: fuse or fanotify */
#define STATUS_FILL_REASON	"fill_reason"	/* why fuse: --fill fuse, or what ruled fanotify out */
#define STATUS_MOUNTS		"mounts"	/* the list of every mount */
#define STATUS_SOURCE_STATE	"source_state"	/* as lowerfs' fetcher sees it */

/* the "source_state" object */
#define SOURCE_REACHABLE	"reachable"
#define SOURCE_UNREACHABLE_FOR	"unreachable_for"	/* seconds */
#define SOURCE_UNREACHABLE_SINCE "unreachable_since"	/* Unix time */
#define SOURCE_FETCH_GRACE	"fetch_grace"		/* seconds */
#define SOURCE_ERRORS_TRANSIENT	"fetch_errors_transient"
#define SOURCE_ERRORS_PERMANENT	"fetch_errors_permanent"
#define SOURCE_LAST_ERROR	"last_fetch_error"	/* absent before the first */

#define PROGRESS_ENTRIES_DONE	"entries_done"
#define PROGRESS_ENTRIES_TOTAL	"entries_total"
#define PROGRESS_BYTES_DONE	"bytes_done"
#define PROGRESS_BYTES_TOTAL	"bytes_total"
#define PROGRESS_DEFERRED	"deferred"
#define PROGRESS_RATE_BPS	"rate_bps"
#define PROGRESS_ETA_S		"eta_s"		/* -1: unknown */
#define PROGRESS_ETA_UNKNOWN	"eta_unknown"	/* why, when eta_s is -1 */
#define PROGRESS_UPDATED	"updated"	/* Unix time of the last write */

#endif
