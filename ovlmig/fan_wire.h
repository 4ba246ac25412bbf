/* SPDX-License-Identifier: MIT */
/*
 * Between the filler's keeper and its worker (fan_keeper.h): a request
 * is an event's fd (SCM_RIGHTS) with its id, mask and range, a reply the
 * id and whether to allow. A SOCK_SEQPACKET pair: one message each.
 */
#ifndef OVLMIG_FAN_WIRE_H
#define OVLMIG_FAN_WIRE_H

#include <stdbool.h>
#include <stdint.h>

/* what the worker is asked: event ID, its mask, its range if it has one */
struct fan_ask {
	uint64_t id;
	uint64_t off, count;	/* FAN_EVENT_INFO_TYPE_RANGE, if has_range */
	uint32_t mask;
	uint32_t has_range;
};

struct fan_reply {
	uint64_t id;
	uint32_t allow;
};

/*
 * 0, or -1 with errno (EPIPE: the worker is gone; EAGAIN: its queue is
 * full). Never blocks: the keeper must go on answering other events.
 */
int fan_wire_send_event(int sock, const struct fan_ask *a, int fd);
/* 1 with *A and *FD, 0 at end of stream, -1 with errno. */
int fan_wire_recv_event(int sock, struct fan_ask *a, int *fd);

int fan_wire_send_reply(int sock, uint64_t id, bool allow);
/* 1 with *R, 0 at end of stream, -1 with errno. */
int fan_wire_recv_reply(int sock, struct fan_reply *r);

#endif
