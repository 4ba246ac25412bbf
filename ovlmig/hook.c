// SPDX-License-Identifier: MIT
/*
 * ovlmig hook STAGE: an OCI runtime hook. At createRuntime (or its
 * deprecated alias prestart) it reads the container state from stdin,
 * finds the rootfs from the bundle's config.json, and if that rootfs is
 * an ovlmig mount, records the annotations' policy and hands the mount to
 * `ovlmig serve` (or, with no serve, to a worker that cannot hold the
 * runtime up), then returns at once. At poststop it stops that job and
 * unmounts what ovlmig mounted for the container.
 *
 * Input is untrusted: malformed JSON, a relative bundle, a config.json
 * that is a symlink or outside the bundle, a root.path with ".." are
 * refused with a clear message and nothing is touched. A failure to start
 * migration is logged and does not fail the container, unless the
 * annotation io.ovlmig.required is "true".
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/fsutil.h"
#include "../common/log_escape.h"
#include "../common/util.h"
#include "hook.h"
#include "job.h"
#include "job_pid.h"
#include "serve.h"
#include "state.h"
#include "umount.h"

#define MAX_INPUT (1 << 20)

/* One line per message: what the input put in it is escaped. */
void hook_log(const struct hook *h, const char *fmt, ...)
{
	char *path = path_join(state_root(), "hook.log"), stamp[32];
	char *msg = NULL, *safe = NULL;
	struct error *none = NULL;
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;
	FILE *f = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (!path || n < 0 || !(safe = log_escape(msg)))
		goto out;
	make_dirs(state_root(), 0700, &none);
	error_free(&none);
	f = fopen(path, "ae");
	if (!f)
		goto out;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "%s %s %s: %s\n", stamp, h->stage->name, h->in.id ? h->in.id : "?",
		safe);
	fclose(f);
out:
	if (n >= 0)
		free(msg);
	free(safe);
	free(path);
}

static char *read_all_fd(int fd, size_t max, size_t *len)
{
	char *buf = malloc(max + 1);
	ssize_t n;

	*len = 0;
	if (!buf)
		return NULL;
	while (*len < max && (n = read(fd, buf + *len, max - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	return buf;
}

/* config.json: a regular file inside the bundle, reached without symlinks. */
static char *read_config(const char *bundle, size_t *len, struct error **err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char *text;
	long fd;
	int dfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		error_set(err, errno, "bundle %s", bundle);
		return NULL;
	}
	fd = syscall(SYS_openat2, dfd, "config.json", &how, sizeof(how));
	close(dfd);
	if (fd < 0) {
		error_set(err, errno, "%s/config.json%s", bundle,
			  errno == ELOOP || errno == EXDEV ? " (a symlink: refused)" : "");
		return NULL;
	}
	text = read_all_fd((int)fd, 4 << 20, len);
	close((int)fd);
	if (!text)
		error_set(err, errno ? errno : ENOMEM, "read %s/config.json", bundle);
	return text;
}

int hook_read_input(struct hook *h, int fd, struct error **err)
{
	size_t len, clen;
	char *input, *config;
	int ret;

	input = read_all_fd(fd, MAX_INPUT, &len);
	if (!input)
		return error_set(err, errno ? errno : ENOMEM, "read state from stdin");
	ret = hook_input_state(&h->in, input, len, err);
	free(input);
	if (ret < 0)
		return -1;
	config = read_config(h->in.bundle, &clen, err);
	if (!config)
		return -1;
	ret = hook_input_config(&h->in, config, clen, err);
	free(config);
	return ret;
}

static const char *annotation(struct hook *h, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(h->in.annotations, key));

	return v ? v : def;
}

static int policy(struct hook *h, struct job *j, struct error **err)
{
	const char *m = annotation(h, "io.ovlmig.migrate", "true");
	const char *d = annotation(h, "io.ovlmig.detach", "auto");
	const char *b = annotation(h, "io.ovlmig.bandwidth", "0");

	if (strcmp(m, "true") && strcmp(m, "false"))
		return error_set(err, EINVAL, "io.ovlmig.migrate '%s': true or false", m);
	if (strcmp(d, "auto") && strcmp(d, "manual"))
		return error_set(err, EINVAL, "io.ovlmig.detach '%s': auto or manual", d);
	if (parse_u64(b, 0, 100000, &j->bandwidth_mbps) < 0)
		return error_set(err, EINVAL, "io.ovlmig.bandwidth '%s': MB/s", b);
	j->migrate = !strcmp(m, "true");
	j->detach_auto = !strcmp(d, "auto");
	j->container = h->in.id;
	return 0;
}

static int create_runtime(struct hook *h, struct error **err)
{
	struct mount_state s;
	struct error *none = NULL;
	struct job j = { 0 };
	json_t *req, *reply;
	char *dir = NULL;
	int ret = -1;

	if (state_find(h->in.rootfs, &dir, &s, &none) < 0) {
		hook_log(h, "%s is not an ovlmig mount: nothing to do", h->in.rootfs);
		error_free(&none);
		return 0;
	}
	if (policy(h, &j, err) < 0 || job_save(dir, &j, err) < 0)
		goto out;
	if (!j.migrate) {
		hook_log(h, "%s: io.ovlmig.migrate=false: left lazy", s.target);
		ret = 0;
		goto out;
	}
	req = json_pack("{s:s, s:s}", "op", "register", "target", s.target);
	reply = serve_call(req, 200, &none);
	json_decref(req);
	if (reply && json_is_true(json_object_get(reply, "ok"))) {
		hook_log(h, "%s: handed to ovlmig serve", s.target);
		ret = 0;
	} else {
		/* no serve: a worker in its own session, holding nothing of ours */
		hook_log(h, "%s: no ovlmig serve (%s): starting a worker", s.target,
		     none ? none->msg : json_string_value(json_object_get(reply, "error")));
		ret = job_spawn(dir, s.target, true, err) < 0 ? -1 : 0;
	}
	json_decref(reply);
	error_free(&none);
out:
	state_free(&s);
	free(dir);
	return ret;
}

static int poststop(struct hook *h, struct error **err)
{
	struct error *none = NULL;
	struct mount_state s;
	json_t *req, *reply;
	enum job_stop stopped;
	char *dir = NULL;
	pid_t pid;

	if (state_find(h->in.rootfs, &dir, &s, &none) < 0) {
		error_free(&none);
		return 0;
	}
	req = json_pack("{s:s, s:s}", "op", "stop", "target", s.target);
	reply = serve_call(req, 1000, &none);
	json_decref(req);
	json_decref(reply);
	error_free(&none);
	/* a fallback worker records its pid: stopped only if still that job */
	if (job_pid_stop(dir, &pid, &stopped, &none) < 0) {
		hook_log(h, "%s: %s", s.target, none->msg);
		error_free(&none);
	} else if (stopped == JOB_STOPPED) {
		hook_log(h, "%s: stopped job %d", s.target, (int)pid);
	} else if (stopped == JOB_NOT_OURS) {
		hook_log(h, "%s: job.pid names pid %d, which is not the job: left alone",
		     s.target, (int)pid);
	}
	if (umount_mount(dir, &s, err) == 0)
		hook_log(h, "%s: unmounted", s.target);
	state_free(&s);
	free(dir);
	return *err ? -1 : 0;
}

/* createRuntime and its deprecated alias prestart; poststop only warns */
const struct hook_stage hook_stages[] = {
	{ "createRuntime", create_runtime, false },
	{ "prestart", create_runtime, false },
	{ "poststop", poststop, true },
};
const size_t hook_nstages = ARRAY_SIZE(hook_stages);

const struct hook_stage *hook_stage_find(const char *name)
{
	size_t i;

	for (i = 0; i < hook_nstages; i++)
		if (!strcmp(name, hook_stages[i].name))
			return &hook_stages[i];
	return NULL;
}
