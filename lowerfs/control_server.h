/* SPDX-License-Identifier: MIT */
/*
 * The server half of the control protocol (../control/control.h): the
 * socket RUNDIR/control.sock (mode 0600) and its commands.
 */
#ifndef LOWERFS_CONTROL_SERVER_H
#define LOWERFS_CONTROL_SERVER_H

#include <jansson.h>

#include "lowerfs.h"

struct control_cmd {
	const char *name;
	const char *help;
	json_t *(*run)(struct lowerfs *fs);
	/* instead of run: "NAME ARG", ARG the rest of the line */
	json_t *(*run_arg)(struct lowerfs *fs, const char *arg);
};

/* The commands, shared by the server and `lowerfs ctl --help`. */
extern const struct control_cmd control_cmds[];
extern const size_t control_ncmds;
void control_print_help(FILE *f);

struct control {
	int listen_fd;
	char *path;
	pthread_t thread;
	bool started;
};

/* The reply to one request line (a command name); NULL on ENOMEM. */
json_t *control_handle(struct lowerfs *fs, const char *request, size_t len);

int control_start(struct lowerfs *fs, struct control *c, struct error **err);
void control_stop(struct control *c);


#endif
