#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""toc_timeline.py TRACE_DIR [TAG...]: where the first command's time goes,
from what `TRACE=DIR scripts/bench/toc_first.sh` kept: the fault proxy's
request log (CLOCK_MONOTONIC), each run's times (wall clock: lowerfs
started, mount returned, command started, command exited), the
command's strace (-ttt -T: execve/openat/close) and the TOC (the file
each range request was for). All times in ms from lowerfs' start.

For each run (TAG: e.g. zstd-l-3; default: every run):
  - the mount: each request before the mount returned (what, bytes, from
    and to), and where the mount's time went between them;
  - the command: each file it opened (open, how long the open waited,
    the file's request if any and whether it had ended before the open);
  - the link: bytes, requests, how many in flight over time, the idle
    time between the mount's return and the command's exit;
  - a summary line: mount, first listed fetch after the mount, command,
    its opens' waits summed, link busy, the last request's end.
Python stdlib only; asserts nothing.
"""

import glob
import json
import os
import re
import sys


def load_toc(path):
    """[(offset, end, name)] of the file data in the TOC, by offset."""
    entries = json.load(open(path))["entries"]
    spans = []
    for e in entries:
        if e.get("type") not in ("reg", "chunk") or not e.get("offset"):
            continue
        spans.append((e["offset"], e.get("endOffset"), e["name"].lstrip("./")))
    spans.sort()
    return spans


def file_of(spans, a, b):
    """The files whose data starts in [A, B] (a range starts at a blob
    chunk boundary, up to 4 KiB before its file)."""
    lo, hi = 0, len(spans)
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][0] < a:
            lo = mid + 1
        else:
            hi = mid
    names = []
    while lo < len(spans) and spans[lo][0] <= b:
        if spans[lo][2] not in names:
            names.append(spans[lo][2])
        lo += 1
    return names


def parse_requests(path):
    out = []
    for line in open(path):
        f = line.split()
        if len(f) < 5:
            continue
        out.append({"start": int(f[0]), "end": int(f[1]), "method": f[2],
                    "path": f[3], "range": f[4]})
    return out


def classify(req, spans, layer_size):
    p = req["path"]
    m = re.match(r"bytes=(\d+)-(\d+)", req["range"])
    if "/manifests/" in p:
        return "manifest", 0
    if "/referrers/" in p:
        return "referrers", 0
    if "/blobs/" in p and m:
        a, b = int(m.group(1)), int(m.group(2))
        n = b - a + 1
        if layer_size and b >= layer_size - 1 and n < 1 << 20 and a > layer_size // 2:
            return "TOC/footer %d-%d" % (a, b), n
        names = file_of(spans, a, b)
        return "file /%s @%d%s" % (names[0] if names else "?", a,
                                   " (+%d more)" % (len(names) - 1) if len(names) > 1 else ""), n
    if "/blobs/" in p:
        return "blob (config, list) " + p.rsplit("/", 1)[-1][:19], 0
    return p, 0


def parse_strace(path):
    """[(start_s, dur_s, call, arg)] of openat/execve, with -T durations."""
    out = []
    pending = {}
    for line in open(path):
        m = re.match(r"(\d+)\s+(\d+\.\d+) (.*)$", line)
        if not m:
            continue
        pid, ts, rest = m.group(1), float(m.group(2)), m.group(3)
        if "<unfinished ...>" in rest:
            pending[pid] = (ts, rest)
            continue
        if "resumed>" in rest and pid in pending:
            ts, first = pending.pop(pid)
            rest = first.replace("<unfinished ...>", "") + rest.split("resumed>", 1)[1]
        d = re.search(r"<(\d+\.\d+)>\s*$", rest)
        dur = float(d.group(1)) if d else 0.0
        c = re.match(r"(\w+)\((.*)", rest)
        if not c:
            continue
        call, args = c.group(1), c.group(2)
        a = re.search(r'"([^"]*)"', args)
        out.append((ts, dur, call, a.group(1) if a else args[:30], rest))
    return out


def busy(intervals):
    t = e = 0
    for a, b in sorted(intervals):
        if a > e:
            t += b - a
            e = b
        elif b > e:
            t += b - e
            e = b
    return t


def run(trace, tag, reqs_all, offset_ns):
    times = open(os.path.join(trace, tag + ".times")).read().split()
    t0, t1, t2, t3 = (float(x) for x in times[:4])
    repo = times[5]
    name = tag.split("-")[0]
    spans = load_toc(os.path.join(trace, "toc-%s.json" % name))
    layer_size = max((s[1] or s[0]) for s in spans) if spans else 0
    mono0 = int(t0 * 1e9) - offset_ns

    def ms_wall(t):
        return (t - t0) * 1e3

    def ms_mono(ns):
        return (ns - mono0) / 1e6

    reqs = [r for r in reqs_all
            if ("/v2/%s/" % repo) in r["path"] and ms_mono(r["start"]) >= -5 and
            ms_mono(r["start"]) <= ms_wall(t3) + 50]
    # the TOC is near the end of the layer: guess its size from the largest range end
    ends = [int(m.group(2)) for r in reqs for m in [re.match(r"bytes=(\d+)-(\d+)", r["range"])] if m]
    layer_size = max(ends + [layer_size]) + 1
    print("== %s (%s): mount returned %.1f ms, command %.1f..%.1f ms (%.1f ms)" %
          (tag, times[6] if len(times) > 6 else "", ms_wall(t1), ms_wall(t2), ms_wall(t3),
           (t3 - t2) * 1e3))
    print("  requests (start..end ms, bytes, what):")
    files = {}
    total = 0
    for r in reqs:
        what, n = classify(r, spans, layer_size)
        total += n
        a, b = ms_mono(r["start"]), ms_mono(r["end"])
        mark = "M" if a < ms_wall(t1) else " "
        print("   %s %8.1f %8.1f %8.1f  %9d  %s" % (mark, a, b, b - a, n, what))
        if what.startswith("file /"):
            files.setdefault(what.split()[1][1:], []).append((a, b))
    strace = os.path.join(trace, tag + ".strace")
    waits = 0.0
    if os.path.exists(strace):
        calls = parse_strace(strace)
        print("  command (open at, waited ms, its request, ended before the open?):")
        for ts, dur, call, arg, rest in calls:
            if call not in ("openat", "execve") or "ENOENT" in rest:
                continue
            if arg.startswith("/etc") or arg.startswith("/proc"):
                continue
            a = ms_wall(ts)
            fr = files.get(arg.lstrip("/"))
            rq = ""
            if fr:
                ra, rb = fr[0]
                rq = "request %.1f..%.1f %s" % (ra, rb, "before" if rb <= a else
                                                 "in flight" if ra <= a else "after")
            waits += dur * 1e3
            print("    %8.1f %7.1f  %-7s %-40s %s" % (a, dur * 1e3, call, arg[-40:], rq))
    lreq = [(ms_mono(r["start"]), ms_mono(r["end"])) for r in reqs if r["range"] != "-"]
    after = [(max(a, ms_wall(t1)), b) for a, b in lreq if b > ms_wall(t1)]
    first_after = min((a for a, b in lreq if a >= ms_wall(t1)), default=float("nan"))
    last_end = max((b for a, b in lreq), default=float("nan"))
    link_busy = busy(after)
    print("  summary: mount %.1f ms (%d requests before it returned); first range request after it +%.1f ms;"
          " command %.1f ms, its opens waited %.1f ms; ranges after the mount: %d, busy %.1f ms of the %.1f"
          " from the mount's return to the command's exit; last range request ended %.1f ms; %.2f MiB in ranges"
          % (ms_wall(t1), sum(1 for r in reqs if ms_mono(r["start"]) < ms_wall(t1)),
             first_after - ms_wall(t1), (t3 - t2) * 1e3, waits, len(after), link_busy,
             ms_wall(t3) - ms_wall(t1), last_end, total / 1048576))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    trace = sys.argv[1]
    offset_ns = int(open(os.path.join(trace, "clock_offset_ns")).read())
    reqs = parse_requests(os.path.join(trace, "requests"))
    tags = sys.argv[2:] or sorted(
        (os.path.basename(p)[:-6] for p in glob.glob(os.path.join(trace, "*.times"))),
        key=lambda t: int(t.rsplit("-", 1)[1]))
    for tag in tags:
        run(trace, tag, reqs, offset_ns)


if __name__ == "__main__":
    main()
