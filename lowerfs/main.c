// SPDX-License-Identifier: MIT
/*
 * lowerfs [options] SOURCE MOUNTPOINT — mount a lazy, read-only FUSE
 * filesystem serving an immutable image snapshot.
 *
 * Exit codes: 0 success (also after an unmount or aborted connection),
 * 1 runtime failure, 2 bad usage or input (see lowerfs --help).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../common/cli.h"
#include "../common/private_dir.h"
#include "../common/util.h"
#include "../image/log.h"
#include "control_server.h"
#include "../control/image_options.h"
#include "session.h"
#include "lowerfs.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

enum {
	OPT_LATENCY = 256, OPT_BANDWIDTH, OPT_TIMEOUT, OPT_RUN_DIR, OPT_LOG,
	OPT_NO_PASSTHROUGH, OPT_EXPORT_SUPPORT, OPT_TAKEOVER_FD, OPT_KEEPER,
	OPT_RECORD_ACCESS, OPT_STORE_IMAGE, OPT_STORE_ROOT, OPT_LOAD_IN_BACKGROUND,
};

#define WHOLE_FILE_MAX_DEFAULT (64ull << 20)

static const struct cli_option options[] = {
	{ "cache", 'c', "DIR", "fetch each file whole into DIR on first open, serve it from there" },
	{ "latency", OPT_LATENCY, "MS", "emulate a remote source: add MS per fetch" },
	{ "bandwidth", OPT_BANDWIDTH, "MBPS", "emulate a remote source: fetch at MBPS megabytes/s" },
	{ "timeout", OPT_TIMEOUT, "SEC", "entry/attribute timeout (default: infinite, the image is immutable)" },
	{ "threads", 't', "N", "worker threads (default 16: each file being fetched holds one)" },
	{ "run-dir", OPT_RUN_DIR, "DIR", "control socket, pid file and log (default /run/lowerfs/<mountpoint>)" },
	{ "log", OPT_LOG, "FILE", "log file (default: stderr; RUN_DIR/lowerfs.log when in the background)" },
	{ "no-passthrough", OPT_NO_PASSTHROUGH, NULL, "serve reads in user space even if the kernel has passthrough" },
	{ "export-support", OPT_EXPORT_SUPPORT, NULL, "decodable file handles (for overlayfs index=on); default: FUSE_NO_EXPORT_SUPPORT" },
	{ "keeper", OPT_KEEPER, "SOCKET", "hand a duplicate of the FUSE connection to the keeper at SOCKET" },
	{ "takeover-fd", OPT_TAKEOVER_FD, "FD", "serve the existing FUSE connection FD of a crashed lowerfs" },
	IMAGE_CLI_OPTIONS,
	{ "record-access", OPT_RECORD_ACCESS, "FILE", "append the path of every file opened for the first time" },
	{ "store-image", OPT_STORE_IMAGE, "DIR", "an image store's directory (ovlmig strategy store): put each file fetched whole into DIR/data too, serve a file from there if it is there" },
	{ "store-root", OPT_STORE_ROOT, "DIR", "an image store's root (ovlmig strategy store): load an oci:/docker:// image's tree from DIR/sha256-HEX/tree.saved instead of reading its layer indexes, save it there once they are read" },
	{ "load-in-background", OPT_LOAD_IN_BACKGROUND, NULL, "mount and report started at once, load the image's tree on a thread (requests wait for it; a tree that cannot be loaded then ends lowerfs, its requests get EIO); not with --takeover-fd" },
	{ "foreground", 'f', NULL, "stay in the foreground" },
	{ "help", 'h', NULL, "show this help" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: lowerfs [options] SOURCE MOUNTPOINT\n"
		   "       lowerfs ctl [--run-dir DIR | --mount MOUNTPOINT] COMMAND\n\n"
		   "Mount a lazy, read-only FUSE filesystem serving an image.\n\n"
		   "Sources:\n");
	source_print_help(f);
	fprintf(f, "\nOptions:\n");
	cli_print_options(f, options, ARRAY_SIZE(options));
	fprintf(f, "\nControl commands:\n");
	control_print_help(f);
	fprintf(f, "\nExit codes: 0 ok (also after unmount or abort), "
		   "1 runtime failure, 2 bad usage or input.\n");
}

static int add_index_file(struct source_opts *o, const char *path)
{
	const char **files = reallocarray(o->index_files, o->nindex_files + 1,
					  sizeof(*files));

	if (!files) {
		fprintf(stderr, "lowerfs: out of memory\n");
		return -1;
	}
	files[o->nindex_files++] = path;
	o->index_files = files;
	return 0;
}

static int parse_args(int argc, char **argv, struct lowerfs_opts *o)
{
	struct cli_parser p;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->threads = 16;
	o->whole_file_max = WHOLE_FILE_MAX_DEFAULT;
	o->link.fetch_grace_ms = IMAGE_FETCH_GRACE_DEFAULT * 1000ull;
	if (cli_parser_init(&p, options, ARRAY_SIZE(options)) < 0) {
		fprintf(stderr, "lowerfs: out of memory\n");
		return -1;
	}
	while ((c = cli_next(&p, argc, argv)) != -1) {
		switch (c) {
		case 'c': o->cache_dir = optarg; break;
		case 'f': o->foreground = true; break;
		case 'h': usage(stdout); cli_parser_free(&p); exit(0);
		case OPT_RUN_DIR: o->run_dir = optarg; break;
		case OPT_LOG: o->log_file = optarg; break;
		case OPT_NO_PASSTHROUGH: o->no_passthrough = true; break;
		case OPT_EXPORT_SUPPORT: o->export_support = true; break;
		case OPT_KEEPER: o->keeper = optarg; break;
		case IMAGE_OPT_INSECURE: o->link.insecure = true; break;
		case IMAGE_OPT_PLATFORM: o->link.platform = optarg; break;
		case IMAGE_OPT_PREFETCH: o->prefetch = true; break;
		case IMAGE_OPT_PREFETCH_LIST: o->prefetch_list = optarg; break;
		case OPT_RECORD_ACCESS: o->record_access = optarg; break;
		case OPT_STORE_IMAGE: o->store_image = optarg; break;
		case OPT_STORE_ROOT: o->link.store_root = optarg; break;
		case OPT_LOAD_IN_BACKGROUND: o->load_in_background = true; break;
		case IMAGE_OPT_INDEX:
			if (add_index_file(&o->link, optarg) < 0)
				goto fail;
			break;
		case IMAGE_OPT_WHOLE_FILE_MAX:
		case IMAGE_OPT_PREFETCH_BANDWIDTH:
			if (parse_u64(optarg, 0, UINT64_MAX, &v) < 0) {
				fprintf(stderr, "lowerfs: bad number '%s': %s\n",
					optarg, strerror(errno));
				goto fail;
			}
			if (c == IMAGE_OPT_WHOLE_FILE_MAX)
				o->whole_file_max = v;
			else
				o->prefetch_bandwidth_mbps = v;
			break;
		case IMAGE_OPT_FETCH_GRACE:
			if (parse_u64(optarg, 0, 24 * 3600, &v) < 0) {
				fprintf(stderr, "lowerfs: bad --fetch-grace '%s': %s\n",
					optarg, strerror(errno));
				goto fail;
			}
			o->link.fetch_grace_ms = v * 1000;
			break;
		case OPT_TAKEOVER_FD:
			if (parse_u64(optarg, 3, 1 << 20, &v) < 0) {
				fprintf(stderr, "lowerfs: bad fd '%s'\n", optarg);
				goto fail;
			}
			o->takeover_fd = (int)v;
			break;
		case 't':
		case OPT_LATENCY:
		case OPT_BANDWIDTH:
		case OPT_TIMEOUT:
			if (parse_u64(optarg, c == 't' ? 1 : 0,
				      c == 't' ? 64 : UINT32_MAX, &v) < 0) {
				fprintf(stderr, "lowerfs: bad number '%s': %s\n",
					optarg, strerror(errno));
				goto fail;
			}
			if (c == 't')
				o->threads = (unsigned)v;
			else if (c == OPT_LATENCY)
				o->link.latency_ms = v;
			else if (c == OPT_BANDWIDTH)
				o->link.bandwidth_mbps = v;
			else {
				o->timeout_sec = v;
				o->timeout_set = true;
			}
			break;
		default:
			goto fail;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "lowerfs: expected SOURCE and MOUNTPOINT\n");
		goto fail;
	}
	o->source_spec = argv[optind];
	o->mountpoint = argv[optind + 1];
	o->link.cache_dir = o->cache_dir;
	/* what the prefetch reads first (tree_loaded): fetched with the mount */
	o->link.prefetch_list_early = o->cache_dir && !o->prefetch_list;
	cli_parser_free(&p);
	return 0;
fail:
	usage(stderr);
	cli_parser_free(&p);
	free(o->link.index_files);
	o->link.index_files = NULL;
	return -1;
}

/* Problems a user can fix: one line naming the path and the reason. */
static int check_environment(const struct lowerfs_opts *o, struct error **err)
{
	struct stat st;
	int empty;

	if (geteuid() != 0)
		return error_set(err, EPERM,
				 "must run as root (mounting FUSE and passthrough need CAP_SYS_ADMIN)");
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return error_set(err, errno, "/dev/fuse");
	/* what is planted in a cache is served as image data */
	if (o->cache_dir && dir_make_private("cache directory", o->cache_dir, err) < 0)
		return -1;
	if (o->takeover_fd > 0)
		return 0;	/* the mountpoint is the live mount being taken over */
	if (stat(o->mountpoint, &st) < 0)
		return error_set(err, errno, "mountpoint %s", o->mountpoint);
	if (!S_ISDIR(st.st_mode))
		return error_set(err, ENOTDIR, "mountpoint %s", o->mountpoint);
	empty = dir_is_empty(o->mountpoint);
	if (empty < 0)
		return error_set(err, errno, "mountpoint %s", o->mountpoint);
	if (!empty)
		return error_set(err, ENOTEMPTY, "mountpoint %s", o->mountpoint);
	return 0;
}

/* Fork; the parent exits with the status the child reports once mounted. */
static int daemonize(int *report_fd)
{
	int pfd[2];
	pid_t pid;
	char status = EXIT_RUNTIME;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(pfd[1]);
		if (read_full(pfd[0], &status, 1) != 1)
			status = EXIT_RUNTIME;
		_exit(status);
	}
	close(pfd[0]);
	if (setsid() < 0)
		return -1;
	*report_fd = pfd[1];
	return 0;
}

static void report_status(int *fd, char status)
{
	if (*fd < 0)
		return;
	if (write_all(*fd, &status, 1) < 0)
		lowerfs_log("report status: %s", strerror(errno));
	close(*fd);
	*fd = -1;
}

static int redirect_stdio(const char *log_path, FILE **log)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return -1;
	*log = fopen(log_path, "ae");
	if (!*log) {
		close(null);
		return -1;
	}
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(fileno(*log), STDERR_FILENO);
	close(null);
	lowerfs_log_to(*log);
	return 0;
}

static int write_pid_file(const char *run_dir)
{
	char *path = path_join(run_dir, "lowerfs.pid");
	FILE *f;
	int ret = -1;

	if (!path)
		return -1;
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		ret = fclose(f);
	}
	free(path);
	return ret;
}

/* A taken-over connection has requests queued again at once: tree first. */
static bool background(const struct lowerfs *fs)
{
	return fs->opts.load_in_background && fs->opts.takeover_fd <= 0;
}

/*
 * The wake-up fd, the tree loaded here unless in the background (then
 * started once the mount is up and the log is the run dir's: the
 * loader's lines must not go to a caller that stopped reading).
 */
static int setup(struct lowerfs *fs, struct error **err)
{
	fs->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (fs->wake_fd < 0)
		return error_set(err, errno, "eventfd");
	if (tree_load_init(fs, err) < 0)
		return -1;
	return background(fs) ? 0 : tree_load_now(fs, err);
}

/* What waited for the tree: the log line, the prefetch. */
static void tree_loaded(struct lowerfs *fs)
{
	struct error *err = NULL;

	if (!tree_ready(fs))
		return;	/* the loader asked to exit */
	lowerfs_log("serving %s at %s: %u entries, %llu bytes, run dir %s",
		    fs->opts.source_spec, fs->opts.mountpoint, fs->img.count,
		    (unsigned long long)fs->img.total_bytes, fs->opts.run_dir);
	/* a list (given, or published with the image) alone: its files only */
	if ((fs->opts.prefetch || (fs->cache && (fs->opts.prefetch_list ||
						 fs->src->ops->prefetch_list))) &&
	    prefetch_start(fs, fs->opts.prefetch, &err) < 0) {
		lowerfs_log("prefetch: %s", err->msg);
		error_free(&err);
	}
}

/* Block until a signal or an exit request; returns the reason. */
static const char *wait_for_exit(struct lowerfs *fs, int sigfd)
{
	struct pollfd p[3] = { { sigfd, POLLIN, 0 }, { fs->wake_fd, POLLIN, 0 },
			       { fs->tree.done_fd, POLLIN, 0 } };

	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return "poll failed";
		}
		if (p[2].revents) {
			uint64_t n;

			if (read(fs->tree.done_fd, &n, sizeof(n)) < 0)
				lowerfs_log("tree loaded: %s", strerror(errno));
			p[2].fd = -1;	/* once */
			tree_loaded(fs);
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				lowerfs_log("signal %s: unmounting",
					    strsignal((int)si.ssi_signo));
				return "signal";
			}
		}
		if (p[1].revents)
			return fs->exit_reason ? fs->exit_reason : "exit requested";
	}
}

static void teardown(struct lowerfs *fs, struct control *ctl, pthread_t *threads)
{
	char *pid_path;

	/* first: a control command or a request waiting for the tree gives up */
	atomic_store(&fs->stopping, true);
	control_stop(ctl);
	fuse_dev_unmount(fs);
	if (threads)
		fuse_dev_stop(fs, threads);
	tree_load_stop(fs);	/* a load under way ends first */
	prefetch_join(fs);
	record_access_close(fs);
	if (fs->devfd >= 0)
		close(fs->devfd);
	if (fs->wake_fd >= 0)
		close(fs->wake_fd);
	nodes_free(fs);
	store_feed_stop(fs);
	cache_close(fs->cache);
	source_close(fs->src);
	image_free(&fs->img);
	pid_path = path_join(fs->opts.run_dir, "lowerfs.pid");
	if (pid_path)
		unlink(pid_path);
	free(pid_path);
}

/*
 * Until the mount is up, errors go to the caller's stderr; a daemon then
 * moves its output to the log (LOG_PATH, NULL in the foreground).
 */
static int run(struct lowerfs *fs, int *report_fd, const char *log_path,
	       FILE **log)
{
	struct control ctl = { .listen_fd = -1 };
	struct error *err = NULL;
	pthread_t *threads = NULL;
	sigset_t sigs;
	int sigfd = -1, status = EXIT_RUNTIME;
	const char *why;

	/* a control client that goes away must not take the server with it */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* blocked before any thread starts, so only the signalfd sees them */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sigfd < 0) {
		error_set(&err, errno, "signalfd");
		goto out;
	}
	if (setup(fs, &err) < 0 ||
	    (fs->opts.takeover_fd > 0 ? takeover(fs, &err) : fuse_dev_mount(fs, &err)) < 0 ||
	    (fs->opts.keeper && keeper_send(fs, &err) < 0) ||
	    fuse_dev_start(fs, &threads, &err) < 0 ||
	    control_start(fs, &ctl, &err) < 0)
		goto out;
	if (fs->opts.takeover_fd > 0)
		fuse_notify_resend(fs);
	if (log_path && redirect_stdio(log_path, log) < 0)
		lowerfs_log("log %s: %s", log_path, strerror(errno));
	if (write_pid_file(fs->opts.run_dir) < 0)
		lowerfs_log("pid file in %s: %s", fs->opts.run_dir, strerror(errno));
	if (background(fs)) {
		lowerfs_log("mounted %s at %s, its tree loading in the background",
			    fs->opts.source_spec, fs->opts.mountpoint);
		if (tree_load_start(fs, &err) < 0)
			goto out;
	}
	report_status(report_fd, 0);
	why = wait_for_exit(fs, sigfd);
	lowerfs_log("exiting: %s", why);
	session_mark_exit(fs);
	/* in the background: a tree that failed is this run's failure */
	status = __atomic_load_n(&fs->tree.state, __ATOMIC_ACQUIRE) == TREE_FAILED ?
		 EXIT_RUNTIME : 0;
out:
	if (err)
		error_report(&err, "lowerfs", stderr);
	report_status(report_fd, (char)status);
	teardown(fs, &ctl, threads);
	if (sigfd >= 0)
		close(sigfd);
	return status;
}

static int serve_held(struct lowerfs *fs);

/* Open the source, go to the background, serve until told to stop. */
static int serve(struct lowerfs *fs)
{
	struct error *err = NULL;
	int cache_fd = -1, status;

	/* the cache held from the start: image/cache.h, CACHE_IN_USE */
	if (check_environment(&fs->opts, &err) < 0 ||
	    (fs->opts.cache_dir && cache_hold(fs->opts.cache_dir, &cache_fd, &err) < 0) ||
	    source_open(fs->opts.source_spec, &fs->opts.link, &fs->src, &err) < 0) {
		error_report(&err, "lowerfs", stderr);
		if (cache_fd >= 0)
			close(cache_fd);
		return EXIT_USAGE;
	}
	status = serve_held(fs);
	if (cache_fd >= 0)
		close(cache_fd);
	return status;
}

/* serve, the source open and the cache held: the run dir, the background. */
static int serve_held(struct lowerfs *fs)
{
	struct error *err = NULL;
	char *default_run_dir = NULL, *log_path = NULL;
	FILE *log = NULL;
	int report_fd = -1, status;

	if (!fs->opts.run_dir) {
		default_run_dir = lowerfs_default_run_dir(fs->opts.mountpoint);
		if (!default_run_dir || (mkdir("/run/lowerfs", 0700) < 0 &&
					 errno != EEXIST)) {
			fprintf(stderr, "lowerfs: run directory: %s\n",
				strerror(errno));
			source_close(fs->src);
			free(default_run_dir);
			return EXIT_RUNTIME;
		}
		fs->opts.run_dir = default_run_dir;
	}
	/* its pid file tells ovlmig whom to signal */
	if (dir_make_private("run directory", fs->opts.run_dir, &err) < 0) {
		error_report(&err, "lowerfs", stderr);
		source_close(fs->src);
		free(default_run_dir);
		return EXIT_USAGE;
	}
	fs->timeout_sec = fs->opts.timeout_set ? fs->opts.timeout_sec :
					       100ull * 365 * 24 * 3600;
	if (!fs->opts.foreground) {
		log_path = fs->opts.log_file ? strdup(fs->opts.log_file) :
					      path_join(fs->opts.run_dir, "lowerfs.log");
		if (!log_path || daemonize(&report_fd) < 0) {
			fprintf(stderr, "lowerfs: go to background (log %s): %s\n",
				log_path ? log_path : "?", strerror(errno));
			report_status(&report_fd, EXIT_RUNTIME);
			source_close(fs->src);
			free(log_path);
			free(default_run_dir);
			return EXIT_RUNTIME;
		}
	} else if (fs->opts.log_file) {
		log = fopen(fs->opts.log_file, "ae");
		if (log)
			lowerfs_log_to(log);
	}
	status = run(fs, &report_fd, log_path, &log);
	free(log_path);
	free(default_run_dir);
	if (log)
		fclose(log);
	return status;
}

int main(int argc, char **argv)
{
	struct lowerfs fs = { .devfd = -1, .wake_fd = -1, .tree.done_fd = -1 };
	int status;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return control_cli_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &fs.opts) < 0)
		return EXIT_USAGE;
	image_set_log(lowerfs_vlog);
	status = serve(&fs);
	free(fs.opts.link.index_files);
	return status;
}
