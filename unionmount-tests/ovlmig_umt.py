#!/usr/bin/env python3
"""Run the upstream unionmount-testsuite with ovlmig providing the overlay.

The suite is not edited: this wrapper replaces its mount_union() and
unmount_union() before running its `run` script with runpy. The lower
layer the suite populates becomes the image: lowerfs serves it, ovlmig
mounts the overlay over it (datadir strategy), and in `detached` mode
migrates and detaches right after mounting, before the test's operations.

Environment: UNIONMOUNT_TESTSUITE (the suite), OVLMIG (the binary),
OVLMIG_UMT_MODE (lazy|detached), OVLMIG_UMT_STRATEGY (datadir|store|
store-fanotify: strategy store filled by fanotify, no lowerfs),
OVLMIG_UMT_META (a directory on its own filesystem for the metadata
layers), OVLMIG_UMT_STORE (strategy store: the image store, on a
filesystem of its own), and the suite's own UNIONMOUNT_*.
"""
import json
import os
import runpy
import subprocess
import sys

SUITE = os.environ["UNIONMOUNT_TESTSUITE"]
OVLMIG = os.environ["OVLMIG"]
MODE = os.environ.get("OVLMIG_UMT_MODE", "lazy")
STRATEGY = os.environ.get("OVLMIG_UMT_STRATEGY", "datadir")
META_ROOT = os.environ["OVLMIG_UMT_META"]
STORE = os.environ.get("OVLMIG_UMT_STORE", "")
STORES = ("store", "store-fanotify")
if STRATEGY not in ("datadir", *STORES) or (STRATEGY in STORES and not STORE):
    sys.exit("ovlmig_umt: OVLMIG_UMT_STRATEGY datadir, or store or store-fanotify "
             "with OVLMIG_UMT_STORE")

sys.path.insert(0, SUITE)
os.chdir(SUITE)
import mount_union    # noqa: E402  (the suite's modules, patched below)
import unmount_union  # noqa: E402
import remount_union  # noqa: E402
from tool_box import system, write_file  # noqa: E402

counter = [0]


def ovlmig(*args):
    r = subprocess.run([OVLMIG, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("ovlmig " + " ".join(args) + ": " + r.stderr.strip())
    return r.stdout


def meta_dir():
    return META_ROOT + "/m" + str(counter[0])


def ovlmig_mount_union(ctx):
    cfg = ctx.config()
    union = cfg.union_mntroot()
    lower = cfg.lower_mntroot()
    upper_root = cfg.upper_mntroot()
    if cfg.should_mount_upper():
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
    counter[0] += 1
    extra = []
    if cfg.is_xino():  # the one suite mount option ovlmig takes
        extra = ["--xino", "on"]
    if STRATEGY == "store-fanotify":
        # forced: a mount that cannot be filled by fanotify fails the test
        extra += ["--fill", "fanotify"]
    elif STRATEGY == "store":
        # lowerfs, as before fanotify was picked where it can work
        extra += ["--fill", "fuse"]
    if STRATEGY in STORES:
        # every test's lower is a new image (fresh mtimes): a store entry each
        extra += ["--strategy", "store", "--store", STORE]
    else:
        extra += ["--strategy", "datadir", "--meta", meta_dir()]
    ovlmig("mount", "--source", "dir:" + lower, "--upper", upperdir,
           "--work", workdir, "--name", "umt", *extra, union)
    if MODE == "detached":
        ovlmig("migrate", union)
        ovlmig("detach", union)
    ctx.note_upper_fs(upper_root, cfg.testdir(), union + "/f")
    # files not copied up come from the metadata layer: that is the lower
    # fs (for store, META lies in the image's directory in the store)
    if STRATEGY in STORES:
        ctx.note_lower_fs(json.loads(ovlmig("status", "--json", union))["store"])
    else:
        ctx.note_lower_fs(meta_dir() + "/a")
    ctx.note_lower_layers(lower)
    ctx.note_upper_layer(upperdir)


def ovlmig_unmount_union(ctx):
    cfg = ctx.config()
    ovlmig("umount", cfg.union_mntroot())
    system("rm -rf " + meta_dir())
    if cfg.should_mount_lower():
        system("umount " + cfg.lower_mntroot())
    if cfg.should_mount_upper():
        system("umount " + cfg.upper_mntroot())
    if STRATEGY in STORES:
        # images whose container's upper is gone (unmounted above, or
        # emptied by the next mount): the store keeps one image per test
        ovlmig("gc", "--store", STORE)


def ovlmig_remount_union(ctx, rotate_upper=False):
    raise RuntimeError("remount is not supported with ovlmig (layer rotation)")


mount_union.mount_union = ovlmig_mount_union
unmount_union.unmount_union = ovlmig_unmount_union
remount_union.remount_union = ovlmig_remount_union
sys.argv = [SUITE + "/run"] + sys.argv[1:]
runpy.run_path(SUITE + "/run", run_name="__main__")
