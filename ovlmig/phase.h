/* SPDX-License-Identifier: MIT */
/*
 * Where a managed mount is in its life. The names are those of
 * state.json and `ovlmig status`: one table (phase.c) for both ways.
 */
#ifndef OVLMIG_PHASE_H
#define OVLMIG_PHASE_H

enum phase {
	PHASE_MOUNTING,		/* mount started: what is there, umount takes down */
	PHASE_LAZY,		/* mounted, nothing migrated yet */
	PHASE_MIGRATING,	/* a migrate ran (or runs); resumable */
	PHASE_MIGRATED,		/* every entry is up: detach may go */
	PHASE_DETACHED,		/* no lower any more */
};

const char *phase_name(enum phase p);
/* The phase called NAME; -1 if there is none. */
int phase_parse(const char *name, enum phase *out);

#endif
