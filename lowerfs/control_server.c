// SPDX-License-Identifier: MIT
#include "control_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/json_path.h"
#include "../common/util.h"
#include "../control/control.h"
#include "fuse_req.h"

/* A message may name a path that is not UTF-8: printable then, never lost. */
static json_t *error_json(const char *msg)
{
	return json_pack("{s:o}", CONTROL_KEY_ERROR, json_path_shown(msg));
}

/* The source's reachability and fetch errors, added to OUT. */
static int add_health(struct lowerfs *fs, json_t *out)
{
	struct fetch_health h = { .reachable = true };
	struct error *err = NULL;
	json_t *v;
	int ret = 0;

	if (fs->src && fs->src->ops->health &&
	    fs->src->ops->health(fs->src, &h, &err) < 0) {
		lowerfs_log("stats: %s", err->msg);
		error_free(&err);
		return -1;
	}
	v = json_pack("{s:I, s:I, s:b, s:I, s:I, s:I}",
		      CONTROL_KEY_FETCH_ERRORS_TRANSIENT, (json_int_t)h.errors_transient,
		      CONTROL_KEY_FETCH_ERRORS_PERMANENT, (json_int_t)h.errors_permanent,
		      CONTROL_KEY_SOURCE_REACHABLE, h.reachable,
		      CONTROL_KEY_UNREACHABLE_SINCE, (json_int_t)h.unreachable_since,
		      CONTROL_KEY_UNREACHABLE_FOR, (json_int_t)(h.unreachable_ms / 1000),
		      CONTROL_KEY_FETCH_GRACE, (json_int_t)(h.grace_ms / 1000));
	if (!v || json_object_update(out, v) < 0)
		ret = -1;
	json_decref(v);
	/* a server's words or a local path: printable, never lost */
	if (!ret && h.last_error &&
	    json_object_set_new(out, CONTROL_KEY_LAST_FETCH_ERROR,
				json_path_shown(h.last_error)) < 0)
		ret = -1;
	fetch_health_release(&h);
	return ret;
}

/* The fetch latency histogram (fetch_latency.h), added to OUT. */
static int add_fetch_latency(struct lowerfs_stats *s, json_t *out)
{
	json_t *counts = json_array();
	size_t i;

	for (i = 0; counts && i < FETCH_LATENCY_BUCKETS; i++)
		if (json_array_append_new(counts, json_integer(
			(json_int_t)atomic_load(&s->fetch_latency[i]))) < 0)
			break;
	if (!counts || i < FETCH_LATENCY_BUCKETS ||
	    json_object_set_new(out, CONTROL_KEY_FETCH_LATENCY_COUNTS, counts) < 0) {
		json_decref(counts);
		return -1;
	}
	return json_object_set_new(out, CONTROL_KEY_FETCH_LATENCY_SUM_US, json_integer(
		(json_int_t)atomic_load(&s->fetch_latency_sum_us)));
}

static json_t *cmd_stats(struct lowerfs *fs)
{
	struct lowerfs_stats *s = &fs->stats;
	json_t *req = json_object(), *out;
	size_t i;

	if (!req)
		return NULL;
	for (i = 0; i < LOWERFS_MAX_OPCODE; i++) {
		uint64_t n = atomic_load(&s->requests[i]);

		if (n && lowerfs_ops[i].name)
			json_object_set_new(req, lowerfs_ops[i].name,
					    json_integer((json_int_t)n));
	}
	out = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:b, s:I, s:I, s:b, s:b, s:I, s:o}",
			CONTROL_KEY_ENTRIES, (json_int_t)fs->img.count,
			"files", (json_int_t)fs->img.nregular,
			CONTROL_KEY_BYTES_TOTAL, (json_int_t)fs->img.total_bytes,
			"bytes_fetched", (json_int_t)atomic_load(&s->bytes_fetched),
			"files_fetched", (json_int_t)atomic_load(&s->files_fetched),
			"cache_hits", (json_int_t)atomic_load(&s->cache_hits),
			"fetch_errors", (json_int_t)atomic_load(&s->fetch_errors),
			"bytes_read", (json_int_t)atomic_load(&s->bytes_read),
			"live_nodes", (json_int_t)nodes_live_count(fs),
			"passthrough", fs->passthrough,
			"passthrough_opens",
			(json_int_t)atomic_load(&s->passthrough_opens),
			"fallback_opens", (json_int_t)atomic_load(&s->fallback_opens),
			"prefetch_running", atomic_load(&fs->prefetch_running),
			CONTROL_KEY_TAKEN_OVER, fs->taken_over,
			"prefetch_done", (json_int_t)atomic_load(&fs->prefetch_done),
			"requests", req);
	/* paths the user gave: bytes, maybe not UTF-8 */
	if (out && (json_path_set(out, "source", fs->opts.source_spec) < 0 ||
		    json_path_set(out, "mountpoint", fs->opts.mountpoint) < 0)) {
		json_decref(out);
		return NULL;
	}
	if (out)
		json_object_set_new(out, "chunked_opens", json_integer(
			(json_int_t)atomic_load(&s->chunked_opens)));
	if (out && (json_object_set_new(out, "store_hits", json_integer(
			(json_int_t)atomic_load(&s->store_hits))) < 0 ||
		    json_object_set_new(out, "store_fed_files", json_integer(
			(json_int_t)atomic_load(&s->store_fed_files))) < 0 ||
		    json_object_set_new(out, "store_fed_bytes", json_integer(
			(json_int_t)atomic_load(&s->store_fed_bytes))) < 0)) {
		json_decref(out);
		return NULL;
	}
	if (out && (add_health(fs, out) < 0 || add_fetch_latency(s, out) < 0)) {
		json_decref(out);
		return NULL;
	}
	/* a remote source's own counters: HTTP, chunks, layers */
	if (out && fs->src && fs->src->ops->stats)
		json_object_set_new(out, "remote", fs->src->ops->stats(fs->src));
	return out;
}

static bool is_live(struct lowerfs *fs, uint32_t i)
{
	return atomic_load(&fs->nodes[i].lookups) || atomic_load(&fs->nodes[i].opens);
}

/*
 * Every name of each live hardlinked node: a detach must move them all.
 * "names" printable, "names_b64" the same names as bytes.
 */
static int add_all_names(struct lowerfs *fs, json_t **entries)
{
	uint32_t d, j;

	for (d = 0; d < fs->img.count; d++) {
		const struct image_node *dir = &fs->img.nodes[d];
		char *dpath = NULL;

		for (j = 0; j < dir->nchildren; j++) {
			uint32_t c = dir->children[j].node;
			char *name;
			int r;

			if (!entries[c] || fs->img.nodes[c].nlink < 2)
				continue;
			if (!dpath && !(dpath = image_path(&fs->img, d)))
				return -1;
			if (asprintf(&name, "/%s%s%s", dpath, *dpath ? "/" : "",
				     dir->children[j].name) < 0) {
				free(dpath);
				return -1;
			}
			r = json_array_append_new(json_object_get(entries[c], CONTROL_KEY_NAMES),
						  json_path_shown(name));
			if (!r)
				r = json_array_append_new(json_object_get(entries[c], CONTROL_KEY_NAMES_B64),
							  json_path_b64(name));
			free(name);
			if (r < 0) {
				free(dpath);
				return -1;
			}
		}
		free(dpath);
	}
	return 0;
}

/* The live entry of node I; NULL on ENOMEM. */
static json_t *live_entry(struct lowerfs *fs, uint32_t i)
{
	const struct image_node *n = &fs->img.nodes[i];
	char *path = image_path(&fs->img, i), *full = NULL;
	json_t *e = NULL;

	if (path && asprintf(&full, "/%s", path) < 0)
		full = NULL;
	if (full)
		e = json_pack("{s:I, s:I, s:s, s:I, s:[], s:[]}",
			CONTROL_KEY_LOOKUPS, (json_int_t)atomic_load(&fs->nodes[i].lookups),
			CONTROL_KEY_OPENS, (json_int_t)atomic_load(&fs->nodes[i].opens),
			CONTROL_KEY_TYPE, S_ISDIR(n->mode) ? CONTROL_TYPE_DIR :
			S_ISREG(n->mode) ? CONTROL_TYPE_FILE : CONTROL_TYPE_OTHER,
			CONTROL_KEY_NLINK, (json_int_t)n->nlink,
			CONTROL_KEY_NAMES, CONTROL_KEY_NAMES_B64);
	/* a name that is not UTF-8 is sent too, never dropped */
	if (e && json_path_set(e, CONTROL_KEY_PATH, full) < 0) {
		json_decref(e);
		e = NULL;
	}
	free(full);
	free(path);
	return e;
}

/* All or nothing: a node left out would never be repinned. */
static json_t *cmd_live(struct lowerfs *fs)
{
	json_t *list = json_array(), **entries, *out = NULL;
	uint32_t i;

	entries = calloc(fs->img.count, sizeof(*entries));
	if (!list || !entries)
		goto out;
	for (i = 1; i < fs->img.count; i++) {
		if (!is_live(fs, i))
			continue;
		entries[i] = live_entry(fs, i);
		if (!entries[i] || json_array_append(list, entries[i]) < 0)
			goto out;
	}
	if (add_all_names(fs, entries) < 0)
		goto out;
	out = json_pack("{s:O}", CONTROL_KEY_LIVE, list);
out:
	for (i = 0; entries && i < fs->img.count; i++)
		json_decref(entries[i]);	/* the list keeps its references */
	free(entries);
	json_decref(list);
	return out;
}

static uint32_t depth_of(const struct image *img, uint32_t n)
{
	uint32_t d = 0;

	for (; n && n != IMAGE_NONE; n = img->nodes[n].parent)
		d++;
	return d;
}

struct dir_depth {
	uint32_t dir, depth;
};

static int deeper_first(const void *a, const void *b)
{
	const struct dir_depth *x = a, *y = b;

	return x->depth < y->depth ? 1 : x->depth > y->depth ? -1 : 0;
}

/*
 * Ask the kernel to drop every name it caches, deepest first, so unused
 * dentries and inodes go away and their FORGETs come back: a targeted
 * replacement for a global drop_caches. Waits a moment for the FORGETs.
 */
static json_t *cmd_invalidate(struct lowerfs *fs)
{
	uint64_t before = nodes_live_count(fs), last, sent = 0, deadline;
	struct dir_depth *dirs;
	uint32_t i, j, ndirs = 0, stable;

	dirs = calloc(fs->img.count, sizeof(*dirs));
	if (!dirs)
		return NULL;
	for (i = 0; i < fs->img.count; i++)
		if (S_ISDIR(fs->img.nodes[i].mode) &&
		    (i == 0 || atomic_load(&fs->nodes[i].lookups)))
			dirs[ndirs++] = (struct dir_depth){ i, depth_of(&fs->img, i) };
	qsort(dirs, ndirs, sizeof(*dirs), deeper_first);
	for (i = 0; i < ndirs; i++) {
		const struct image_node *d = &fs->img.nodes[dirs[i].dir];

		for (j = 0; j < d->nchildren; j++) {
			uint32_t c = d->children[j].node;

			if (!atomic_load(&fs->nodes[c].lookups))
				continue;
			if (S_ISREG(fs->img.nodes[c].mode))
				fuse_notify_inval_inode(fs, c);
			fuse_notify_inval_entry(fs, dirs[i].dir,
						d->children[j].name);
			sent++;
		}
	}
	free(dirs);
	/* FORGETs arrive asynchronously: wait until the count settles */
	last = nodes_live_count(fs);
	deadline = now_ns() + 2000000000ull;
	for (stable = 0; last && stable < 4 && now_ns() < deadline;) {
		uint64_t cur;

		sleep_ns(50000000);
		cur = nodes_live_count(fs);
		stable = cur == last ? stable + 1 : 0;
		last = cur;
	}
	return json_pack("{s:I, s:I, s:I}", CONTROL_KEY_NOTIFIED, (json_int_t)sent,
			 CONTROL_KEY_LIVE_BEFORE, (json_int_t)before,
			 CONTROL_KEY_LIVE_AFTER, (json_int_t)nodes_live_count(fs));
}

static json_t *cmd_prefetch(struct lowerfs *fs)
{
	struct error *err = NULL;
	bool was = atomic_load(&fs->prefetch_whole);
	json_t *out;

	if (prefetch_start(fs, true, &err) < 0) {
		out = error_json(err->msg);
		error_free(&err);
		return out;
	}
	return json_pack("{s:b, s:b}", "started", !was, "running",
			 atomic_load(&fs->prefetch_running));
}

static json_t *cmd_demand(struct lowerfs *fs)
{
	return json_pack("{s:I}", CONTROL_KEY_DEMAND,
			 (json_int_t)atomic_load(&fs->demand));
}

static json_t *cmd_store_image(struct lowerfs *fs, const char *dir)
{
	struct error *err = NULL;
	json_t *out;

	if (dir[0] != '/')
		return error_json("store-image: give an absolute path");
	if (tree_store_image(fs, dir, &err) < 0) {
		out = error_json(err->msg);
		error_free(&err);
		return out;
	}
	return json_pack("{s:b}", "ok", 1);
}

static json_t *cmd_shutdown(struct lowerfs *fs)
{
	lowerfs_request_exit(fs, "shutdown requested on the control socket");
	return json_pack("{s:b}", "ok", 1);
}

const struct control_cmd control_cmds[] = {
	{ .name = CONTROL_STATS, .help = "counters: bytes and files fetched, cache hits, requests per opcode, live nodes, passthrough",
	  .run = cmd_stats },
	{ .name = CONTROL_LIVE, .help = "every node the kernel still holds: path, lookup count, open count",
	  .run = cmd_live },
	{ .name = CONTROL_INVALIDATE, .help = "make the kernel drop its cached entries (FUSE_NOTIFY_INVAL_ENTRY/INODE) and report what stays live",
	  .run = cmd_invalidate },
	{ .name = CONTROL_PREFETCH, .help = "fetch every file not yet cached, in the background",
	  .run = cmd_prefetch },
	{ .name = CONTROL_SHUTDOWN, .help = "unmount and exit",
	  .run = cmd_shutdown },
	{ .name = CONTROL_DEMAND, .help = "how many on-demand fetches are under way (processes wait on them)",
	  .run = cmd_demand },
	{ .name = CONTROL_STORE_IMAGE " DIR", .help = "put each file fetched whole into the image store DIR (its data/) too",
	  .run_arg = cmd_store_image },
};
const size_t control_ncmds = ARRAY_SIZE(control_cmds);

void control_print_help(FILE *f)
{
	size_t i;

	for (i = 0; i < control_ncmds; i++)
		fprintf(f, "  %-12s %s\n", control_cmds[i].name,
			control_cmds[i].help);
}

/*
 * A command that reads the tree waits while it loads in the background
 * (tree_load.c); true if it then is not there (failed, or stopping).
 * shutdown and store-image (kept until the tree is there) never wait.
 */
static bool needs_tree(const struct control_cmd *c, struct lowerfs *fs)
{
	if (c->run == cmd_shutdown || c->run_arg == cmd_store_image)
		return false;
	return tree_wait(fs) < 0;
}

static json_t *tree_missing(void)
{
	return error_json("the image's tree is not loaded (see lowerfs' log)");
}

json_t *control_handle(struct lowerfs *fs, const char *request, size_t len)
{
	unsigned char line[CONTROL_LINE_MAX];
	json_t *reply = NULL;
	size_t i, n;

	/* one line, as text: anything after a newline or a NUL is ignored */
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, request, len);
	line[len] = '\0';
	line[strcspn((char *)line, "\r\n")] = '\0';
	for (i = 0; i < control_ncmds; i++) {
		const struct control_cmd *c = &control_cmds[i];

		/* "NAME ARG": the name as listed in the help, up to its space */
		n = strcspn(c->name, " ");
		if (c->run_arg && !strncmp((char *)line, c->name, n) &&
		    line[n] == ' ' && line[n + 1]) {
			reply = needs_tree(c, fs) ? tree_missing() :
				c->run_arg(fs, (char *)line + n + 1);
			break;
		}
		if (!c->run_arg && !strcmp((char *)line, c->name)) {
			reply = needs_tree(c, fs) ? tree_missing() : c->run(fs);
			break;
		}
	}
	if (i == control_ncmds) {
		/* echo it as printable ASCII: JSON strings must be UTF-8 */
		for (i = 0; line[i]; i++)
			if (line[i] < 0x20 || line[i] > 0x7e)
				line[i] = '?';
		reply = json_pack("{s:s+}", CONTROL_KEY_ERROR, "unknown command: ", (char *)line);
	} else if (!reply) {
		reply = error_json("out of memory");
	}
	return reply;
}

static void serve_client(struct lowerfs *fs, int fd)
{
	struct timeval tv = { .tv_sec = 5 };
	char line[CONTROL_LINE_MAX];
	json_t *reply;
	ssize_t n;
	size_t used;
	char *text;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* read up to the newline, however the client split its writes */
	for (used = 0; used < sizeof(line) - 1; used += (size_t)n) {
		n = read(fd, line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			return;
		if (memchr(line + used, '\n', (size_t)n)) {
			used += (size_t)n;
			break;
		}
	}
	line[used] = '\0';
	reply = control_handle(fs, line, used);
	if (!reply)
		return;
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (text) {
		if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0)
			lowerfs_log("control reply: %s", strerror(errno));
		free(text);
	}
}

static void *control_main(void *arg)
{
	struct lowerfs *fs = ((void **)arg)[0];
	struct control *c = ((void **)arg)[1];

	free(arg);
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;	/* shut down by control_stop() */
		}
		serve_client(fs, fd);
		close(fd);
	}
	return NULL;
}

int control_start(struct lowerfs *fs, struct control *c, struct error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	void **arg;
	mode_t old;
	int rc;

	memset(c, 0, sizeof(*c));
	c->listen_fd = -1;
	if (mkdir(fs->opts.run_dir, 0700) < 0 && errno != EEXIST)
		return error_set(err, errno, "create run directory %s",
				 fs->opts.run_dir);
	c->path = path_join(fs->opts.run_dir, CONTROL_SOCKET);
	if (!c->path)
		return error_set(err, ENOMEM, "control socket path");
	if (strlen(c->path) >= sizeof(addr.sun_path))
		return error_set(err, ENAMETOOLONG, "control socket %s", c->path);
	strcpy(addr.sun_path, c->path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0)
		return error_set(err, errno, "control socket");
	unlink(c->path);
	old = umask(0177);
	rc = bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (rc < 0)
		return error_set(err, errno, "bind %s", c->path);
	if (listen(c->listen_fd, 16) < 0)
		return error_set(err, errno, "listen %s", c->path);
	arg = malloc(2 * sizeof(*arg));
	if (!arg)
		return error_set(err, ENOMEM, "control thread");
	arg[0] = fs;
	arg[1] = c;
	rc = pthread_create(&c->thread, NULL, control_main, arg);
	if (rc) {
		free(arg);
		return error_set(err, rc, "control thread");
	}
	c->started = true;
	return 0;
}

void control_stop(struct control *c)
{
	if (c->listen_fd >= 0) {
		shutdown(c->listen_fd, SHUT_RDWR);
		if (c->started)
			pthread_join(c->thread, NULL);
		close(c->listen_fd);
		c->listen_fd = -1;
	}
	if (c->path) {
		unlink(c->path);
		free(c->path);
		c->path = NULL;
	}
	c->started = false;
}
