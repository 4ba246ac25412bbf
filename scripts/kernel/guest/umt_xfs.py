#!/usr/bin/env python3
"""Run the upstream unionmount-testsuite over an XFS lower layer (guest).

The seed's test ("Detaching lower layers", linux-unionfs, May 2023), done
without editing the suite: this wrapper replaces its set_up(),
mount_union() and unmount_union() and then runs its `run` script with
runpy.

- set_up: a fresh XFS on $UMT_XFS_DEV is mounted at the suite's lower dir
  before the suite writes its data set there;
- mount_union: like the suite's own (tmpfs upper, `u/f` = "pure"), with
  the suite's xino=on replaced by xino=$UMT_XINO if set; in mode `shutdown` the
  overlay is then migrated depth first (walk.py: copy up everything, read
  every dir after its subdirs, so xino=nofollow makes them all opaque) and
  the XFS lower is shut down (XFS_IOC_GOINGDOWN via xfs_io) before the
  test's operations run;
- unmount_union: unmounts the overlay, the upper tmpfs and the XFS.

Run the suite with --xino (xino=nofollow is a xino mode, so the suite
must expect one st_dev for all objects). Environment: UNIONMOUNT_TESTSUITE,
UNIONMOUNT_LOWERDIR, UNIONMOUNT_MNTPOINT (the suite's), UMT_XFS_DEV,
UMT_XINO (nofollow|on), UMT_MODE (lazy|shutdown), UMT_OPAQUE_BY_HAND=1
(the control: opaque xattrs set on the upper dirs by the walk instead).
"""
import os
import runpy
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.environ["UNIONMOUNT_TESTSUITE"]
DEV = os.environ["UMT_XFS_DEV"]
XINO = os.environ.get("UMT_XINO", "")
MODE = os.environ.get("UMT_MODE", "lazy")
BY_HAND = os.environ.get("UMT_OPAQUE_BY_HAND") == "1"
if MODE not in ("lazy", "shutdown"):
    sys.exit("umt_xfs: UMT_MODE must be lazy or shutdown")

sys.path.insert(0, HERE)
import walk  # noqa: E402

sys.path.insert(0, SUITE)
os.chdir(SUITE)
import set_up          # noqa: E402  (the suite's modules, patched below)
import mount_union     # noqa: E402
import unmount_union   # noqa: E402
import remount_union   # noqa: E402
from tool_box import system, write_file, check_not_tainted  # noqa: E402

suite_set_up = set_up.set_up


def mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def xfs_set_up(ctx):
    lower = ctx.config().lower_mntroot()
    while mounted(lower):
        system("umount " + lower)
    subprocess.run(["mkfs.xfs", "-f", "-q", DEV], check=True)
    system("mount -t xfs " + DEV + " " + lower)
    suite_set_up(ctx)


def xfs_mount_union(ctx):
    cfg = ctx.config()
    if cfg.testing_none() or cfg.is_nested() or cfg.maxfs() != 0:
        raise RuntimeError("umt_xfs: only --ov with one lower and one upper fs")
    union = cfg.union_mntroot()
    lower = cfg.lower_mntroot()
    upper_root = cfg.upper_mntroot()
    system("mount " + upper_root + " 2>/dev/null"
           " || mount -t tmpfs upper_layer " + upper_root)
    layer = upper_root + "/" + ctx.curr_layer()
    try:
        os.mkdir(layer)
    except OSError:
        system("rm -rf " + upper_root + "/*")
        os.mkdir(layer)
    upperdir, workdir = layer + "/u", layer + "/w"
    os.mkdir(upperdir)
    os.mkdir(workdir)
    write_file(upperdir + "/f", "pure")
    opts = cfg.mntopts()
    if XINO:
        opts = opts.replace("xino=on", "xino=" + XINO)
    system("mount -t overlay overlay " + union + " " + opts +
           " -olowerdir=" + lower + ",upperdir=" + upperdir +
           ",workdir=" + workdir)
    ctx.note_upper_fs(upper_root, cfg.testdir(), union + "/f")
    ctx.note_lower_layers(lower)
    ctx.note_upper_layer(upperdir)
    if MODE == "shutdown":
        c = walk.migrate(union, upperdir, opaque_by_hand=BY_HAND)
        print("- walk: {dirs} dirs, {data} data + {meta} metadata copy-ups, "
              "{opaque}/{upper_dirs} upper dirs opaque".format(**c))
        os.sync()
        system("xfs_io -x -c 'shutdown -f' " + lower)


def xfs_unmount_union(ctx):
    cfg = ctx.config()
    system("umount " + cfg.union_mntroot())
    check_not_tainted()
    system("umount " + cfg.upper_mntroot())
    check_not_tainted()
    system("umount " + cfg.lower_mntroot())
    check_not_tainted()


def no_remount_union(ctx, rotate_upper=False):
    raise RuntimeError("umt_xfs: remount (--ov=N, --ts=1) is not supported")


set_up.set_up = xfs_set_up
mount_union.mount_union = xfs_mount_union
unmount_union.unmount_union = xfs_unmount_union
remount_union.remount_union = no_remount_union
sys.argv = [SUITE + "/run"] + sys.argv[1:]
runpy.run_path(SUITE + "/run", run_name="__main__")
