// SPDX-License-Identifier: MIT
/*
 * mount_file - mount a filesystem image file with mount(2) itself, so
 * that the kernel opens the file (EROFS backed by a file) instead of
 * mount(8) setting up a loop device for it.
 *
 * Usage: mount_file TYPE IMAGE DIR [OPTIONS]
 * The mount is read-only. Exit status: 0 mounted, 1 refused, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: mount_file TYPE IMAGE DIR [OPTIONS]\n");
		return 2;
	}
	if (mount(argv[2], argv[3], argv[1], MS_RDONLY, argc == 5 ? argv[4] : NULL) < 0) {
		fprintf(stderr, "mount_file: mount %s on %s: %s\n", argv[2], argv[3],
			strerror(errno));
		return 1;
	}
	return 0;
}
