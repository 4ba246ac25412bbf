#!/usr/bin/env python3
"""Migrate an overlay into its upper layer, depth first (check-kernel guest).

Usage: walk.py [--upper DIR] [--opaque-by-hand] [--no-relink] MERGED

What ovlmig's nofollow strategy will do, written down as a script so the
kernel side can be proven before that strategy exists:

1. scan: note the hardlink groups of non-directories that are still lower;
2. copy up every entry, depth first: a regular file by open(O_WRONLY) and
   close (a data copy-up, also with metacopy=on), or, if it is a running
   binary (ETXTBSY), by utimensat to its own times like every other
   non-directory (a full copy-up when metacopy=off); a directory by
   utimensat after its entries;
3. relink: each further name of a hardlink group becomes a link to the
   copied-up first name (link to a temporary name, rename over), parent
   times restored: without index=on, copy-up splits hardlinks;
4. read every directory after its subdirectories (post-order): with
   xino=nofollow the kernel makes each complete merge directory opaque and
   stops consulting the lower layers for it, the root included.

--opaque-by-hand sets trusted.overlay.opaque=y on every upper directory
instead (what a tool can do on a kernel without xino=nofollow: the control).
With --upper, the upper directories are counted and checked for opacity.
Prints one summary line; exit 0 when every step succeeded (and, with
--upper and without --opaque-by-hand, every upper directory is opaque).
"""
import errno
import os
import stat
import sys

OPAQUE = "trusted.overlay.opaque"


def entries(d):
    with os.scandir(d) as it:
        return sorted(e.name for e in it)


def set_times(path, st):
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def copy_up_file(path, st, counts):
    if stat.S_ISREG(st.st_mode):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            os.close(fd)
            counts["data"] += 1
            return
        except OSError as e:
            if e.errno != errno.ETXTBSY:
                raise
            counts["etxtbsy"] += 1
    set_times(path, st)
    counts["meta"] += 1


def migrate(root, upper=None, opaque_by_hand=False, relink=True):
    counts = dict(dirs=0, data=0, meta=0, etxtbsy=0, relinked=0,
                  upper_dirs=0, opaque=0)
    # 1. hardlink groups among entries not copied up yet (lower inodes)
    groups = {}
    for d, subdirs, files in os.walk(root):
        for name in files + [s for s in subdirs
                             if os.path.islink(os.path.join(d, s))]:
            p = os.path.join(d, name)
            st = os.lstat(p)
            if st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode):
                groups.setdefault((st.st_dev, st.st_ino), []).append(p)
    others = set()
    if relink:
        for names in groups.values():
            names.sort()
            others.update(names[1:])

    # 2. copy up, depth first
    def visit(d):
        st_d = os.lstat(d)
        for name in entries(d):
            p = os.path.join(d, name)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                visit(p)
            elif p not in others:
                copy_up_file(p, st, counts)
        set_times(d, st_d)
        counts["dirs"] += 1
    visit(root)

    # 3. relink the other names of each hardlink group to the first one
    for names in groups.values():
        first = names[0]
        for p in names[1:]:
            if p not in others:
                continue
            parent = os.path.dirname(p)
            st_parent = os.lstat(parent)
            tmp = os.path.join(parent, ".walk-relink")
            os.link(first, tmp)
            os.rename(tmp, p)
            set_times(parent, st_parent)
            counts["relinked"] += 1

    # 4. read each directory after its subdirectories
    for d, _, _ in os.walk(root, topdown=False):
        os.listdir(d)

    if upper:
        for d, _, _ in os.walk(upper):
            counts["upper_dirs"] += 1
            if opaque_by_hand:
                os.setxattr(d, OPAQUE, b"y", follow_symlinks=False)
            try:
                if os.getxattr(d, OPAQUE, follow_symlinks=False) == b"y":
                    counts["opaque"] += 1
            except OSError:
                pass
    return counts


def main():
    args = sys.argv[1:]
    upper, by_hand, relink = None, False, True
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--upper":
            upper = args.pop(0)
        elif a == "--opaque-by-hand":
            by_hand = True
        elif a == "--no-relink":
            relink = False
        else:
            sys.exit("walk.py: unknown option " + a)
    if len(args) != 1:
        sys.exit(__doc__.split("\n\n")[1])
    c = migrate(args[0], upper, by_hand, relink)
    print("walk: {dirs} dirs, {data} data copy-ups, {meta} metadata copy-ups "
          "({etxtbsy} running), {relinked} relinked; upper: {opaque} of "
          "{upper_dirs} dirs opaque".format(**c))
    if upper and c["opaque"] != c["upper_dirs"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
