/* SPDX-License-Identifier: MIT */
/*
 * Fillers of one store see each other. Two mounts of one image filled by
 * fanotify each have a filler, and both mark the image's placeholders:
 * one filler's own opens and writes of a placeholder (laying it, filling
 * it) raise events at the other. Those are answered FAN_ALLOW at once by
 * the other's keeper, never filled: else the second mount's lay filled
 * every placeholder through the first filler (a whole pull before that
 * mount could start), and two fills of one file waited on each other.
 * Which process fills a file is settled by a lock on the placeholder
 * (fan_fill.c, fan_holes.c).
 */
#ifndef OVLMIG_FAN_PEER_H
#define OVLMIG_FAN_PEER_H

#include <stdbool.h>
#include <sys/types.h>

/* Name this process a filler's worker (its comm), for the other fillers. */
void fan_peer_name_self(void);

/*
 * Is PID a filler's worker: its comm says so and it runs this very
 * program (a process in a container cannot: its executable is in the
 * container's tree)? A process that fakes it only reads placeholders
 * unfilled itself, it fills nothing and keeps nobody else from a fill.
 */
bool fan_peer_is_filler(pid_t pid);

#endif
