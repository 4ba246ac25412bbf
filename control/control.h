/* SPDX-License-Identifier: MIT */
/*
 * The control protocol of lowerfs, both halves' vocabulary. A client
 * connects to RUNDIR/control.sock, writes one command line and reads one
 * JSON document; the server (lowerfs/control_server.c) then closes.
 * Errors are {"error": "..."}. Paths are bytes: one that is not UTF-8 is
 * sent as KEY (printable) and KEY_b64 (its bytes), see json_path.h.
 */
#ifndef CONTROL_CONTROL_H
#define CONTROL_CONTROL_H

#include <jansson.h>

#include "../common/error.h"

#define CONTROL_SOCKET		"control.sock"
/* the longest request line: a command and a path */
#define CONTROL_LINE_MAX	4200

/* Commands */
#define CONTROL_STATS		"stats"
#define CONTROL_LIVE		"live"
#define CONTROL_INVALIDATE	"invalidate"
#define CONTROL_PREFETCH	"prefetch"
#define CONTROL_SHUTDOWN	"shutdown"
#define CONTROL_DEMAND		"demand"	/* {"demand": on-demand fetches under way} */
#define CONTROL_STORE_IMAGE	"store-image"	/* "store-image DIR": feed the image store DIR */

/* Keys of every reply */
#define CONTROL_KEY_ERROR	"error"

/* stats: the keys a client reads */
#define CONTROL_KEY_ENTRIES	"entries"
#define CONTROL_KEY_BYTES_TOTAL	"bytes_total"
#define CONTROL_KEY_TAKEN_OVER	"taken_over"
/* the source as the fetcher sees it (a local source: reachable, no errors) */
#define CONTROL_KEY_FETCH_ERRORS_TRANSIENT "fetch_errors_transient"
#define CONTROL_KEY_FETCH_ERRORS_PERMANENT "fetch_errors_permanent"
#define CONTROL_KEY_SOURCE_REACHABLE	"source_reachable"
#define CONTROL_KEY_UNREACHABLE_SINCE	"unreachable_since"	/* Unix time; 0 when reachable */
#define CONTROL_KEY_UNREACHABLE_FOR	"unreachable_for"	/* seconds; 0 when reachable */
#define CONTROL_KEY_FETCH_GRACE		"fetch_grace"		/* seconds */
#define CONTROL_KEY_LAST_FETCH_ERROR	"last_fetch_error"	/* absent before the first */

/* live: {"live": [node...]}, each node with these keys */
#define CONTROL_KEY_LIVE	"live"
#define CONTROL_KEY_PATH	"path"		/* and path_b64 */
#define CONTROL_KEY_LOOKUPS	"lookups"
#define CONTROL_KEY_OPENS	"opens"
#define CONTROL_KEY_TYPE	"type"		/* one of the CONTROL_TYPE_* */
#define CONTROL_KEY_NLINK	"nlink"
#define CONTROL_KEY_NAMES	"names"
#define CONTROL_KEY_NAMES_B64	"names_b64"
#define CONTROL_TYPE_DIR	"dir"
#define CONTROL_TYPE_FILE	"file"
#define CONTROL_TYPE_OTHER	"other"

/* demand */
#define CONTROL_KEY_DEMAND	"demand"

/* invalidate */
#define CONTROL_KEY_NOTIFIED	"notified"
#define CONTROL_KEY_LIVE_BEFORE	"live_before"
#define CONTROL_KEY_LIVE_AFTER	"live_after"

/* Send CMD to the socket at SOCK_PATH; the raw reply (malloc'd) or NULL. */
char *control_request(const char *sock_path, const char *cmd, struct error **err);
/*
 * Send CMD to the lowerfs of RUN_DIR; its JSON reply, or NULL with *err
 * set (also when lowerfs answers {"error": ...}).
 */
json_t *control_call(const char *run_dir, const char *cmd, struct error **err);

/* The typed calls ovlmig makes. */
json_t *control_stats(const char *run_dir, struct error **err);
/* The array of live nodes (a new reference), or NULL with *err set. */
json_t *control_live(const char *run_dir, struct error **err);
int control_invalidate(const char *run_dir, struct error **err);
/* How many fetches processes wait on right now (strategy store's fill yields to them). */
int control_demand(const char *run_dir, unsigned *n, struct error **err);
/* Have the lowerfs of RUN_DIR put what it fetches whole into the image store DIR. */
int control_store_image(const char *run_dir, const char *dir, struct error **err);

/*
 * The exact path of a node of the `live` reply (malloc'd): "path_b64"
 * when the name is not UTF-8, else "path". NULL with errno EINVAL (a bad
 * node) or ENOMEM.
 */
char *control_live_path(const json_t *node);

#endif
