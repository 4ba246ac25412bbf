// SPDX-License-Identifier: MIT
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/util.h"
#include "fuse_probe.h"

/* The kernel logs why a configuration failed on the context fd. */
static int ctx_error(int fd, int errnum, const char *what, struct error **err)
{
	char msg[512], last[512] = "";
	ssize_t n;

	while ((n = read(fd, msg, sizeof(msg) - 1)) > 0) {
		msg[n] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		/* "e overlay: ..." lines; keep the last error */
		snprintf(last, sizeof(last), "%s", msg[1] == ' ' ? msg + 2 : msg);
	}
	if (*last)
		return error_set(err, errnum, "%s (%s)", what, last);
	return error_set(err, errnum, "%s", what);
}

static int set_string(int fd, const char *key, const char *value,
		      struct error **err)
{
	char what[512];

	if (fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0) == 0)
		return 0;
	snprintf(what, sizeof(what), "overlay option %s=%s", key, value);
	return ctx_error(fd, errno, what, err);
}

static int set_option(int fd, const char *opt, struct error **err)
{
	const char *eq = strchr(opt, '=');
	char key[64];

	if (!eq) {
		if (fsconfig(fd, FSCONFIG_SET_FLAG, opt, NULL, 0) == 0)
			return 0;
		return ctx_error(fd, errno, opt, err);
	}
	if ((size_t)(eq - opt) >= sizeof(key))
		return error_set(err, EINVAL, "overlay option %s", opt);
	memcpy(key, opt, (size_t)(eq - opt));
	key[eq - opt] = '\0';
	return set_string(fd, key, eq + 1, err);
}

int overlay_mount(const struct overlay_cfg *c, const char *target,
		  struct error **err)
{
	int fd, mfd = -1, ret = -1;
	size_t i;

	fd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fd < 0)
		return error_set(err, errno, "fsopen overlay");
	if (set_string(fd, "source", "ovlmig", err) < 0)
		goto out;
	for (i = 0; i < c->nlowers; i++)
		if (set_string(fd, "lowerdir+", c->lowers[i], err) < 0)
			goto out;
	for (i = 0; i < c->ndatas; i++)
		if (set_string(fd, "datadir+", c->datas[i], err) < 0)
			goto out;
	if (c->upper && (set_string(fd, "upperdir", c->upper, err) < 0 ||
			 set_string(fd, "workdir", c->work, err) < 0))
		goto out;
	for (i = 0; i < c->noptions; i++)
		if (set_option(fd, c->options[i], err) < 0)
			goto out;
	if (fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ctx_error(fd, errno, "create overlay", err);
		goto out;
	}
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0) {
		ctx_error(fd, errno, "fsmount overlay", err);
		goto out;
	}
	if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		error_set(err, errno, "mount overlay on %s", target);
		goto out;
	}
	ret = 0;
out:
	if (mfd >= 0)
		close(mfd);
	close(fd);
	return ret;
}

int overlay_mount_meta(const char *meta, const char *const *datas, size_t ndatas,
		       const char *upper, const char *work, const char *xino,
		       const char *target, struct error **err)
{
	char xopt[16];
	const char *opts[] = { "metacopy=on", "redirect_dir=on", "index=on", xopt };
	const char *lowers[] = { meta };
	struct overlay_cfg c = {
		.lowers = lowers, .nlowers = 1, .datas = datas, .ndatas = ndatas,
		.upper = upper, .work = work, .options = opts, .noptions = xino ? 4 : 3,
	};

	if (xino)
		snprintf(xopt, sizeof(xopt), "xino=%s", xino);
	return overlay_mount(&c, target, err);
}

static int try_mount(const char *dir, const char *const *opts, size_t nopts,
		     bool data_layer)
{
	char l1[256], l2[256], u[256], w[256], m[256];
	const char *lowers[] = { l1 }, *datas[] = { l2 };
	struct overlay_cfg c = {
		.lowers = lowers, .nlowers = 1,
		.datas = datas, .ndatas = data_layer ? 1 : 0,
		.upper = u, .work = w, .options = opts, .noptions = nopts,
	};
	struct error *err = NULL;
	int ok;

	snprintf(l1, sizeof(l1), "%s/l1", dir);
	snprintf(l2, sizeof(l2), "%s/l2", dir);
	snprintf(u, sizeof(u), "%s/u", dir);
	snprintf(w, sizeof(w), "%s/w", dir);
	snprintf(m, sizeof(m), "%s/m", dir);
	ok = overlay_mount(&c, m, &err) == 0;
	error_free(&err);
	if (ok)
		umount2(m, MNT_DETACH);
	return ok;
}

/* What the probe child reports through its pipe. */
struct probe_result {
	int errnum;		/* 0, or why the probe could not run */
	char stage[32];		/* where it failed */
	bool xino_nofollow;
	bool data_layers;
	bool fuse_passthrough;
};

/*
 * The probe proper, in a child with a mount namespace of its own: a
 * tmpfs over its /tmp and throwaway overlays in it. Whatever kills the
 * child or us, the kernel takes those mounts down with the namespace:
 * nothing of a probe is ever left mounted or on disk.
 */
static void probe_child(int out)
{
	static const char *const nofollow[] = { "xino=nofollow" };
	static const char *const datadir[] = { "metacopy=on", "redirect_dir=on" };
	static const char *const sub[] = { "/tmp/l1", "/tmp/l2", "/tmp/u", "/tmp/w", "/tmp/m",
					   "/tmp/f" };
	struct probe_result r = { 0 };
	size_t i;

	if (unshare(CLONE_NEWNS) < 0)
		snprintf(r.stage, sizeof(r.stage), "unshare");
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		snprintf(r.stage, sizeof(r.stage), "make / private");
	else if (mount("ovlmig-probe", "/tmp", "tmpfs", 0, "size=1m,mode=0700") < 0)
		snprintf(r.stage, sizeof(r.stage), "mount tmpfs");
	if (!*r.stage)
		for (i = 0; i < ARRAY_SIZE(sub); i++)
			if (mkdir(sub[i], 0700) < 0) {
				snprintf(r.stage, sizeof(r.stage), "mkdir %s", sub[i]);
				break;
			}
	if (*r.stage) {
		r.errnum = errno;
	} else {
		r.xino_nofollow = try_mount("/tmp", nofollow, 1, false);
		r.data_layers = try_mount("/tmp", datadir, 2, true);
		r.fuse_passthrough = fuse_probe_passthrough("/tmp/f");
	}
	_exit(write(out, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
}

int overlay_probe(struct overlay_features *f, struct error **err)
{
	struct probe_result r;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	memset(f, 0, sizeof(*f));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return error_set(err, errno, "probe overlayfs: pipe");
	pid = fork();
	if (pid < 0) {
		error_set(err, errno, "probe overlayfs: fork");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		probe_child(pfd[1]);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(r))
		return error_set(err, EIO, "probe overlayfs: the probe process died");
	if (r.errnum)
		return error_set(err, r.errnum, "probe overlayfs: %s", r.stage);
	f->xino_nofollow = r.xino_nofollow;
	f->data_layers = r.data_layers;
	f->fuse_passthrough = r.fuse_passthrough;
	return 0;
}
