/* SPDX-License-Identifier: MIT */
/*
 * fanotify pre-content definitions (Linux >= 6.14) that the installed
 * uapi headers may predate; values from the kernel's uapi fanotify.h.
 */
#ifndef OVLMIG_FAN_KERNEL_H
#define OVLMIG_FAN_KERNEL_H

#include <sys/fanotify.h>

#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif
/* a deny that the reader sees as ERRNO instead of EPERM */
#ifndef FAN_DENY_ERRNO
#define FAN_DENY_ERRNO(err) (FAN_DENY | (((__u32)(err) & 0xff) << 24))
#endif

/* what a store file's mark asks for: every open and every read */
#define FAN_FILL_EVENTS (FAN_OPEN_PERM | FAN_PRE_ACCESS)

#endif
