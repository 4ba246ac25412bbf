/* SPDX-License-Identifier: MIT */
#ifndef IMAGE_COPY_H
#define IMAGE_COPY_H

#include <stdint.h>

#include "../common/error.h"
#include "source.h"

/*
 * Copy the first SIZE bytes of SRC to DST, both from offset 0, keeping
 * holes as holes, and accounting the bytes against LINK (may be NULL).
 * DST ends up exactly SIZE bytes long.
 */
int copy_sparse(int src, int dst, uint64_t size, struct link_emulation *link,
		struct error **err);

#endif
