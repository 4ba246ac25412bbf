#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora for fuzz_layer_build and fuzz_layer_index.

Writes small tar layers (ustar, pax with xattrs, GNU long names; plain,
gzip with one and several members, zstd with one and several frames) to
tests/fuzz/corpus/layer_build/, and their indexes, made by `ovlmig index`,
to tests/fuzz/corpus/layer_index/. Every file stays under 50 KiB.

Usage: tests/fuzz/make_layer_corpus.py [BUILD-DIR]   (default: build)
"""
import gzip
import io
import os
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
OVLMIG = os.path.join(ROOT, BUILD, "ovlmig")
LAYERS = os.path.join(ROOT, "tests/fuzz/corpus/layer_build")
INDEXES = os.path.join(ROOT, "tests/fuzz/corpus/layer_index")
LIMIT = 50 * 1024


def member(tar, name, data=b"", **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data) if data else None)


def make_tar(fmt, entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data, kw in entries:
            member(tar, name, data, **kw)
    return out.getvalue()


def small_entries():
    return [
        ("./", b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
        ("./etc/", b"", {"type": tarfile.DIRTYPE, "mode": 0o755}),
        ("./etc/hostname", b"box\n", {"mode": 0o644}),
        ("./bin/sh", b"\x7fELF" + bytes(range(256)) * 3, {"mode": 0o4755, "uid": 0}),
        ("./bin/ash", b"", {"type": tarfile.LNKTYPE, "linkname": "./bin/sh"}),
        ("./bin/link", b"", {"type": tarfile.SYMTYPE, "linkname": "sh"}),
        ("./dev/null", b"", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}),
        ("./run/fifo", b"", {"type": tarfile.FIFOTYPE}),
        ("./empty", b"", {}),
    ]


def pax_entries():
    caps = "\x00\x00\x00\x02\x00\x04\x00\x00" + "\x00" * 12
    return small_entries() + [
        ("./usr/bin/ping", b"ping" * 50,
         {"pax_headers": {"SCHILY.xattr.security.capability": caps,
                          "SCHILY.xattr.user.note": "hello",
                          "mtime": "1700000000.123456789",
                          "atime": "1600000000.5"}}),
        ("./" + "long/" * 30 + "name", b"x" * 10, {}),
    ]


def gzip_members(data, parts):
    step = len(data) // parts + 1
    return b"".join(gzip.compress(data[i:i + step], mtime=0)
                    for i in range(0, len(data), step))


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


def zstd_frames(data, parts):
    step = len(data) // parts + 1
    return b"".join(zstd(data[i:i + step]) for i in range(0, len(data), step))


def main():
    os.makedirs(LAYERS, exist_ok=True)
    os.makedirs(INDEXES, exist_ok=True)
    ustar = make_tar(tarfile.USTAR_FORMAT, small_entries())
    pax = make_tar(tarfile.PAX_FORMAT, pax_entries())
    gnu = make_tar(tarfile.GNU_FORMAT, pax_entries()[:-2] +
                   [("./" + "gnu/" * 40 + "file", b"gnu", {}),
                    ("./gnulink", b"", {"type": tarfile.SYMTYPE,
                                        "linkname": "t" * 150})])
    # over 4 MiB uncompressed, tiny compressed: gzip window checkpoints
    big = make_tar(tarfile.PAX_FORMAT,
                   [("zeros", bytes(9 << 19), {}),
                    ("text", b"".join(b"line %d\n" % i for i in range(3000)), {})])
    layers = {
        "ustar.tar": ustar,
        "pax.tar": pax,
        "gnu.tar": gnu,
        "ustar.tar.gz": gzip.compress(ustar, mtime=0),
        "pax.tar.gz": gzip.compress(pax, mtime=0),
        "pax-members.tar.gz": gzip_members(pax, 3),
        "gnu.tar.zst": zstd(gnu),
        "pax-frames.tar.zst": zstd_frames(pax, 4),
        "big.tar.gz": gzip.compress(big, 6, mtime=0),
        "big-frames.tar.zst": zstd_frames(big, 3),
        "trailing-zeros.tar.gz": gzip.compress(ustar, mtime=0) + bytes(100),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in sorted(layers.items()):
            assert len(data) < LIMIT, (name, len(data))
            with open(os.path.join(LAYERS, name), "wb") as f:
                f.write(data)
            src = os.path.join(LAYERS, name)
            idx = os.path.join(tmp, name + ".index")
            subprocess.run([OVLMIG, "index", "--chunk-size", "4096", src, "-o", idx],
                           check=True, stdout=subprocess.DEVNULL)
            with open(idx, "rb") as f:
                data = f.read()
            assert len(data) < LIMIT, (name + ".index", len(data))
            with open(os.path.join(INDEXES, name + ".index"), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
