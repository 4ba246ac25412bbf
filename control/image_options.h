/* SPDX-License-Identifier: MIT */
/*
 * The options lowerfs takes about the image it serves. `ovlmig mount`
 * takes the same ones and hands them on to the lowerfs it starts, so both
 * option tables include these rows: one declaration for both. Part of
 * the interface between the two programs, with the control protocol.
 */
#ifndef CONTROL_IMAGE_OPTIONS_H
#define CONTROL_IMAGE_OPTIONS_H

enum {
	IMAGE_OPT_INDEX = 0x400, IMAGE_OPT_PLATFORM, IMAGE_OPT_INSECURE,
	IMAGE_OPT_WHOLE_FILE_MAX, IMAGE_OPT_PREFETCH, IMAGE_OPT_PREFETCH_LIST,
	IMAGE_OPT_PREFETCH_BANDWIDTH, IMAGE_OPT_FETCH_GRACE,
};

/* long enough to ride out a registry restart */
#define IMAGE_FETCH_GRACE_DEFAULT 60

/* rows of a struct cli_option table; an argument "FILE" is a local path */
#define IMAGE_CLI_OPTIONS \
	{ "index", IMAGE_OPT_INDEX, "FILE", "a layer index (ovlmig index) to use; repeatable, matched by digest" }, \
	{ "platform", IMAGE_OPT_PLATFORM, "OS/ARCH", "the manifest to pick from a multi-platform image (default linux/amd64)" }, \
	{ "insecure", IMAGE_OPT_INSECURE, NULL, "no TLS verification, plain http for registries (loopback tests)" }, \
	{ "whole-file-max", IMAGE_OPT_WHOLE_FILE_MAX, "BYTES", "files up to this size are fetched whole on open (default 64 MiB); larger ones by chunks" }, \
	{ "prefetch", IMAGE_OPT_PREFETCH, NULL, "fetch the whole image in the background after mounting" }, \
	{ "prefetch-list", IMAGE_OPT_PREFETCH_LIST, "FILE", "prefetch these paths first (one per line, as --record-access writes)" }, \
	{ "prefetch-bandwidth", IMAGE_OPT_PREFETCH_BANDWIDTH, "MBPS", "cap the background prefetch at MBPS megabytes/s" }, \
	{ "fetch-grace", IMAGE_OPT_FETCH_GRACE, "SECONDS", "while the source is unreachable, reads wait this long for it before EIO (default 60; 0: a few retries only)" }

#endif
