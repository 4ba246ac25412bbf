#!/usr/bin/env python3
"""Write a layer index (docs/INDEX.md, version 1) for an existing file, as
a hostile producer could: a gzip index whose checkpoints carry deflated
32 KiB windows at a chosen spacing, and entries (directories) with xattrs
of a chosen size. Everything else is valid, so a reader must judge the
windows and xattrs themselves.

usage: mkindex.py LAYER OUT [--windows N --gap BYTES]
                            [--entries N --xattrs K --xattr-bytes B]
"""
import argparse
import hashlib
import os
import struct
import zlib

SPAN = 4 << 20  # uncompressed bytes between windows
CHUNK = 1 << 20


def checkpoint(in_off, out_off, window=None):
    if window is None:
        return struct.pack("<QQBBI", in_off, out_off, 0, 0, 0)
    return struct.pack("<QQBBI", in_off, out_off, 0, 2, len(window)) + window


def entry(path, xattrs):
    b = path.encode()
    out = struct.pack("<IIIBBHQQQ", 0o40755, 0, 0, 0, 0, 0, 0, 0, 0)
    out += struct.pack("<qI", 1700000000, 0) * 3
    out += struct.pack("<IIII", len(b), 0, 0, len(xattrs)) + b
    for name, value in xattrs:
        out += struct.pack("<II", len(name), len(value)) + name + value
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("layer")
    ap.add_argument("out")
    ap.add_argument("--windows", type=int, default=0)
    ap.add_argument("--gap", type=int, default=1)
    ap.add_argument("--entries", type=int, default=0)
    ap.add_argument("--xattrs", type=int, default=1)
    ap.add_argument("--xattr-bytes", type=int, default=0)
    a = ap.parse_args()

    size = os.path.getsize(a.layer)
    whole = hashlib.sha256()
    chunks = []
    with open(a.layer, "rb") as f:
        while True:
            piece = f.read(CHUNK)
            if not piece:
                break
            whole.update(piece)
            chunks.append(hashlib.sha256(piece).digest())
    if a.windows * a.gap > size:
        raise SystemExit("mkindex: windows do not fit in the layer")

    # a window of zeros deflates to a few dozen bytes
    window = zlib.compress(bytes(32768), 9)
    cps = [checkpoint(0, 0)]
    cps += [checkpoint(k * a.gap, k * SPAN, window) for k in range(1, a.windows + 1)]
    value = b"v" * a.xattr_bytes
    ents = [entry("", [])]
    ents += [entry("d%05d" % i, [(b"user.x%d" % k, value) for k in range(a.xattrs)])
             for i in range(a.entries)]

    header = b"OVLMIDX\0" + struct.pack(
        "<IBBHIIQQQII", 1, 1, 1, 0, CHUNK, len(cps), size,
        (a.windows + 1) * SPAN, len(chunks), len(ents), 0) + whole.digest()
    body = header + b"".join(chunks) + b"".join(cps) + b"".join(ents)
    with open(a.out, "wb") as f:
        f.write(body + hashlib.sha256(body).digest())


if __name__ == "__main__":
    main()
