#!/usr/bin/env bash
# ovlmig serve's metrics (docs/METRICS.md): GET /metrics on its unix
# socket and, only with --metrics-listen, on TCP; the text parses
# strictly (tests/tools/promparse.py) and its values are the facts the
# test makes: the bytes and files it read through one mount, the number
# of mounts by phase, a migrate's bytes and entries as counted in the
# source tree, one refused and one successful detach.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig metrics"
command -v python3 >/dev/null || { skip "ovlmig metrics" "no python3 (scripts/setup-deps.sh)"; exit 0; }
PROMPARSE=$TOP/tests/tools/promparse.py
sock=$OVLMIG_RUN_DIR/ovlmig.sock

src=$T/src
"$TOOLS/gentree" --small --seed 23 "$src" >/dev/null || { fail "gentree"; exit 1; }
a=$T/a b=$T/b
# strategy datadir: two private copies, so that each mount's counts are
# its own (under store, the default, a and b share one image store and
# migrate counts the store's data files)
ovlmig_mount "$a" --strategy datadir --source "dir:$src" --upper "$T/ua" --work "$T/wa" >/dev/null || { fail "mount a"; exit 1; }
ovlmig_mount "$b" --strategy datadir --source "dir:$src" --upper "$T/ub" --work "$T/wb" >/dev/null || { fail "mount b"; exit 1; }

# start_serve [OPTIONS...]: sets SERVE_PID; killed at exit
start_serve() {
	"$OVLMIG" serve "$@" 2>>"$T/serve.log" &
	SERVE_PID=$!
	on_exit "kill -KILL $SERVE_PID"
	for _ in $(seq 100); do
		[[ -S $sock ]] && curl -sf --unix-socket "$sock" http://serve/metrics >/dev/null && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop_serve() {
	kill -TERM "$SERVE_PID" && wait "$SERVE_PID" 2>/dev/null
	[[ ! -e $sock ]]
}

# scrape NAME URL...: the body into $T/NAME.txt and its parsed samples
# into $T/NAME.samples; fails the test on a bad status or a bad text
scrape() {
	local name=$1; shift
	curl -sSf -o "$T/$name.txt" -D "$T/$name.headers" "$@" || { fail "scrape $name"; return 1; }
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/$name.headers" ||
		fail "scrape $name: content type" "$(cat "$T/$name.headers")"
	python3 "$PROMPARSE" "$T/$name.txt" >"$T/$name.samples" 2>"$T/$name.err" ||
		{ fail "scrape $name: the text does not parse" "$(cat "$T/$name.err")"; return 1; }
}
# value NAME SERIES: the value of SERIES ('metric{labels sorted}') in scrape NAME
value() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' "$T/$1.samples"; }
# expect NAME SERIES WANT WHAT
expect() {
	local got
	got=$(value "$1" "$2") || { fail "$4" "no $2 in the $1 scrape"; return; }
	[[ $got == "$3" ]] && ok "$4: $got" || fail "$4" "$2 is $got, want $3"
}
# labels TARGET [K="V"...]: the labels of its series, sorted as promparse prints them
labels() {
	local t=$1; shift
	printf '%s\n' "image=\"dir:$src\"" "name=\"$("$OVLMIG" status --json "$t" | jq -r .name)\"" \
		"target=\"$t\"" "$@" | sort | paste -sd,
}

# --- without --metrics-listen: the unix socket only ------------------
start_serve || { fail "serve did not start" "$(tail -3 "$T/serve.log")"; exit 1; }
if ss -ltnpH | grep -q "pid=$SERVE_PID,"; then
	fail "serve listens on TCP unasked" "$(ss -ltnpH | grep "pid=$SERVE_PID,")"
else
	ok "no TCP socket without --metrics-listen"
fi
reply=$(python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"op":"status"}\n')
print(s.makefile().readline().strip())
PY
)
[[ $(jq '.mounts | length' <<<"$reply" 2>/dev/null) == 2 ]] &&
	ok "the JSON protocol still answers beside HTTP" || fail "JSON status over the socket" "$reply"
stop_serve || fail "serve did not stop on SIGTERM"

# --- with it ---------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_serve --metrics-listen "127.0.0.1:$port" || { fail "serve --metrics-listen" "$(tail -3 "$T/serve.log")"; exit 1; }
la=$(labels "$a") lb=$(labels "$b")

# read three files through a, whole: lowerfs fetches each once, whole
mapfile -t files < <(cd "$src" && find . -type f -size +0 -links 1 | sort | head -3)
want=0
for f in "${files[@]}"; do
	cmp -s "$a/$f" "$src/$f" || fail "read $f through a"
	want=$((want + $(stat -c %s "$src/$f")))
done
scrape unix --unix-socket "$sock" http://serve/metrics || exit 1
expect unix "ovlmig_lowerfs_fetched_bytes_total{$la}" "$want" "bytes fetched for a = the bytes the test read"
expect unix "ovlmig_lowerfs_fetched_files_total{$la}" "${#files[@]}" "files fetched for a"
expect unix "ovlmig_lowerfs_fetch_duration_seconds_count{$la}" "${#files[@]}" "fetch latency histogram: one fetch per file"
expect unix "ovlmig_lowerfs_fetched_bytes_total{$lb}" 0 "nothing fetched for b"
if [[ $(jq -r .lowerfs.passthrough <<<"$("$OVLMIG" status --json "$a")") == true ]]; then
	expect unix "ovlmig_lowerfs_read_bytes_total{$la}" 0 "bytes read by FUSE READ: none (passthrough)"
else
	expect unix "ovlmig_lowerfs_read_bytes_total{$la}" "$want" "bytes read by FUSE READ = the bytes the test read"
fi
expect unix "ovlmig_lowerfs_cache_hit_ratio{$la}" 0 "no cache hit yet"
expect unix 'ovlmig_mounts{phase="lazy"}' 2 "two lazy mounts"
expect unix "ovlmig_lowerfs_up{$lb}" 1 "b's lowerfs is up"

# a detach before the migration is refused; then migrate and detach b
"$OVLMIG" detach "$a" >/dev/null 2>&1 && fail "detach of an unmigrated mount went through"
"$OVLMIG" migrate "$b" >/dev/null || fail "migrate b"
"$OVLMIG" detach "$b" >/dev/null || fail "detach b"
# the walk counts a hard-linked file's bytes once per name; an image
# has no sockets (gentree makes one)
bytes=$(find "$src" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
entries=$(find "$src" -mindepth 1 ! -type s | wc -l)
scrape unix --unix-socket "$sock" http://serve/metrics || exit 1
scrape tcp "http://127.0.0.1:$port/metrics" || exit 1
expect unix "ovlmig_migrate_done_bytes{$lb}" "$bytes" "migrated bytes of b = the source's regular files"
expect unix "ovlmig_migrate_total_bytes{$lb}" "$bytes" "bytes to migrate"
expect unix "ovlmig_migrate_done_entries{$lb}" "$entries" "migrated entries of b = the source's names"
expect unix "ovlmig_detaches_total{$(labels "$b" 'result="ok"')}" 1 "one detach of b"
expect unix "ovlmig_detaches_total{$(labels "$a" 'result="refused"')}" 1 "one refused detach of a"
expect unix "ovlmig_detaches_total{$(labels "$a" 'result="ok"')}" 0 "no detach of a"
d=$(value unix "ovlmig_detach_last_duration_seconds{$lb}") && s=$(value unix "ovlmig_detach_duration_seconds_total{$lb}") &&
	awk -v d="$d" -v s="$s" 'BEGIN { exit !(d > 0 && d < 600 && d == s) }' &&
	ok "b's detach took $d s" || fail "detach duration" "last ${d:-none}, total ${s:-none}"
value unix "ovlmig_detach_last_duration_seconds{$la}" >/dev/null &&
	fail "a has a detach duration without a detach" || ok "no detach duration for a"
expect unix 'ovlmig_mounts{phase="detached"}' 1 "one detached mount"
expect unix 'ovlmig_mounts{phase="lazy"}' 1 "one lazy mount left"
expect unix "ovlmig_lowerfs_up{$lb}" 0 "b's lowerfs is gone"
expect unix "ovlmig_lowerfs_restarts_total{$la}" 0 "no lowerfs restart"
cmp -s "$T/unix.txt" "$T/tcp.txt" && ok "both endpoints give the same text" ||
	fail "unix and TCP scrapes differ" "$(diff "$T/unix.txt" "$T/tcp.txt" | head -5)"

# TCP serves metrics and nothing else
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")
[[ $code == 404 ]] && ok "another path: 404" || fail "GET / over TCP" "HTTP $code"
reply=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b'{"op":"stop","target":"/"}\n\n')
print(s.makefile().readline().strip())
PY
)
[[ $reply == "HTTP/1.1 405"* ]] && ok "the jobs' protocol is refused over TCP: $reply" ||
	fail "a JSON request over TCP" "$reply"

# a client that trickles its request over TCP holds serve up for 2 s at most
# (a scrape takes some 0.3 s under load)
python3 - "$port" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    for c in b"GET /metrics HTTP/1.0\r\n":
        s.send(bytes([c]))
        time.sleep(0.5)
except OSError:
    pass
PY
trickler=$!
on_exit "kill -KILL $trickler"
sleep 0.5
t0=$(date +%s%N)
curl -sSf -o /dev/null --unix-socket "$sock" http://serve/metrics || fail "scrape during the trickle"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 3500)) && ok "a trickling TCP client held the socket's scrape up $ms ms only" ||
	fail "a trickling TCP client held serve up for $ms ms"
kill -KILL "$trickler" 2>/dev/null; wait "$trickler" 2>/dev/null

# lowerfs of a killed: its keeper starts another, which serves the reads
old=$("$OVLMIG" status --json "$a" | jq -r .lowerfs_pid)
[[ $old -gt 0 ]] && kill -9 "$old" || fail "kill a's lowerfs"
e=0
for f in "${files[@]}"; do timeout 60 cmp -s "$a/$f" "$src/$f" || e=$((e + 1)); done
for _ in $(seq 100); do
	new=$("$OVLMIG" status --json "$a" | jq -r .lowerfs_pid)
	[[ $new -gt 0 && $new != "$old" ]] && break
	sleep 0.1
done
[[ $e -eq 0 && $new -gt 0 && $new != "$old" ]] || fail "no new lowerfs for a" "$e read errors, pid $new"
scrape unix --unix-socket "$sock" http://serve/metrics || exit 1
expect unix "ovlmig_lowerfs_restarts_total{$la}" 1 "one lowerfs restart after a kill -9"
expect unix "ovlmig_lowerfs_up{$la}" 1 "a's new lowerfs is up"

kill -0 "$SERVE_PID" && ok "serve runs on" || fail "serve died" "$(tail -3 "$T/serve.log")"
stop_serve || fail "serve did not stop"
