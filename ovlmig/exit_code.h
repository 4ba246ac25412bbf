/* SPDX-License-Identifier: MIT */
/* ovlmig's exit codes (also in `ovlmig --help`). */
#ifndef OVLMIG_EXIT_CODE_H
#define OVLMIG_EXIT_CODE_H

enum {
	EXIT_FAILED = 1,	/* the operation failed */
	EXIT_USAGE = 2,		/* bad usage or input */
	EXIT_KERNEL = 3,	/* the kernel lacks a needed feature */
};

#endif
