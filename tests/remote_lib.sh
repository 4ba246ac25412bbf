# Servers for the remote-image tests: nginx serving layer files, a
# docker-registry, a fault-injecting proxy, and OCI layouts to push.
# Sourced after tests/lib.sh (it uses $T, $TOP, on_exit). Every server
# listens on 127.0.0.1 only, keeps its config, data and logs under $T and
# is killed by PID at exit. Call the *_start functions (and start_lowerfs,
# ovlmig_mount) directly, never inside $(...): the clean-up they register
# with on_exit would be lost with the subshell.

# require_tools NAME TOOL...: skip the whole test unless every TOOL is
# installed (scripts/setup-deps.sh installs them all).
require_tools() {
	local name=$1 t; shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { skip "$name" "no $t (scripts/setup-deps.sh)"; exit 0; }
	done
}

FAULTPROXY=$TOP/tests/tools/faultproxy.py
MKLAYERS=$TOP/tests/tools/mklayers.sh

# free_port: a TCP port on 127.0.0.1 free right now (high, chosen by the
# kernel). There is a window before the server binds it, so the start
# functions below check that their own server is the one answering.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_pid PID: TERM, wait up to 5 s, then KILL. Only ever our own PIDs.
stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}

# wait_http URL PID: until URL answers with any HTTP status (10 s), or
# the server PID died.
wait_http() {
	local url=$1 pid=$2
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -s -o /dev/null --max-time 1 "$url" && return 0
		sleep 0.1
	done
	return 1
}

# --- nginx -------------------------------------------------------------------

# nginx_start DOCROOT [RATE]: serve DOCROOT on http://127.0.0.1:$NGINX_PORT/.
# RATE (nginx syntax: 50m = 50 MB/s) is limit_rate, which applies to each
# response on its own: a client with 4 ranges in flight gets 4x RATE. Use
# the fault proxy's --rate for one shared link (see faultproxy_start).
# Range requests on static files work by default. The access log is written
# unbuffered, one line per response: "URI STATUS BODY_BYTES RANGE".
# Sets NGINX_PORT, NGINX_PID, NGINX_LOG.
nginx_start() {
	local docroot=$1 rate=${2:-}
	_nginx_run "root $docroot;" "$rate"
}

# registry_proxy_start [RATE]: nginx in front of the registry started by
# registry_start, on http://127.0.0.1:$NGINX_PORT, logging like
# nginx_start (nginx_bytes counts what crossed the link to the client:
# /v2/NAME/blobs/sha256:HEX for layers and configs, /v2/NAME/manifests/...).
# RATE as for nginx_start.
registry_proxy_start() {
	_nginx_run "location / { proxy_pass http://127.0.0.1:$REGISTRY_PORT; }" "${1:-}"
}

# _nginx_run SERVER-DIRECTIVES RATE: the server of nginx_start and
# registry_proxy_start.
_nginx_run() {
	local body=$1 rate=$2 dir try
	dir=$(mktemp -d "$T/nginx.XXXXXX")
	mkdir -p "$dir/tmp"
	NGINX_LOG=$dir/access.log
	: >"$NGINX_LOG"
	for try in 1 2 3; do
		NGINX_PORT=$(free_port)
		cat >"$dir/nginx.conf" <<EOF
# master_process off: one process, the PID we start is the one to kill
daemon off;
master_process off;
worker_processes 1;
$( [[ $(id -u) -eq 0 ]] && echo "user root root;" )
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
	types { application/octet-stream tar gz zst index; }
	default_type application/octet-stream;
	log_format bytes '\$uri \$status \$body_bytes_sent "\$http_range"';
	access_log $NGINX_LOG bytes;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	sendfile on;
	keepalive_requests 10000;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		$body
		$( [[ -n $rate ]] && echo "limit_rate $rate;" )
	}
}
EOF
		nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
		NGINX_PID=$!
		on_exit "stop_pid $NGINX_PID"
		if wait_http "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID"; then
			return 0
		fi
		stop_pid "$NGINX_PID"	# lost the port to someone else: try another
	done
	echo "nginx did not start: $(tail -3 "$dir/error.log")" >&2
	return 1
}

# nginx_bytes [URI-REGEX]: body bytes sent so far (to the URIs matching).
nginx_bytes() {
	awk -v re="${1:-.}" '$1 ~ re { n += $3 } END { printf "%.0f\n", n }' "$NGINX_LOG"	# %d: mawk stops at 2^31
}
# nginx_requests [URI-REGEX]: responses sent so far (to the URIs matching).
nginx_requests() {
	awk -v re="${1:-.}" '$1 ~ re { n++ } END { printf "%d\n", n }' "$NGINX_LOG"
}

# nginx_ranges URI: the byte ranges of URI served in full so far, "FIRST
# LAST" a line (a transfer cut short is retried: not a second fetch).
nginx_ranges() {
	awk -v uri="$1" '$1 == uri && $2 == 206 {
		r = $4; gsub(/"|bytes=/, "", r); split(r, a, "-")
		if ($3 == a[2] - a[1] + 1) print a[1], a[2]
	}' "$NGINX_LOG"
}
# nginx_ranges_twice URI: the ranges that overlap one served before them:
# bytes of URI fetched twice.
nginx_ranges_twice() {
	nginx_ranges "$1" | sort -n -k1,1 | awk 'NR > 1 && $1 <= end { print } $2 > end { end = $2 }'
}

# --- docker-registry ---------------------------------------------------------

# registry_start: an empty registry (API v2, no auth, filesystem storage
# under $T) on http://127.0.0.1:$REGISTRY_PORT. Sets REGISTRY_PORT,
# REGISTRY_PID, REGISTRY_DIR.
registry_start() {
	local dir try
	dir=$(mktemp -d "$T/registry.XXXXXX")
	REGISTRY_DIR=$dir
	for try in 1 2 3; do
		REGISTRY_PORT=$(free_port)
		cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  secret: ovlmig-tests-only
EOF
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		REGISTRY_PID=$!
		on_exit "stop_pid $REGISTRY_PID"
		if wait_http "http://127.0.0.1:$REGISTRY_PORT/v2/" "$REGISTRY_PID"; then
			return 0
		fi
		stop_pid "$REGISTRY_PID"
	done
	echo "docker-registry did not start: $(tail -3 "$dir/log")" >&2
	return 1
}

# registry_restart: start the registry stopped with stop_pid again, same
# port and data (an outage ends). Sets REGISTRY_PID.
registry_restart() {
	docker-registry serve "$REGISTRY_DIR/config.yml" >>"$REGISTRY_DIR/log" 2>&1 &
	REGISTRY_PID=$!
	on_exit "stop_pid $REGISTRY_PID"
	wait_http "http://127.0.0.1:$REGISTRY_PORT/v2/" "$REGISTRY_PID" ||
		{ echo "docker-registry did not restart: $(tail -3 "$REGISTRY_DIR/log")" >&2; return 1; }
}

# --- containerd: eStargz images ------------------------------------------------

# containerd_start: a containerd of our own (root, state and sockets under
# $T, no CRI plugin) for stargz-snapshotter's ctr-remote, killed by PID at
# exit. Sets CTD_PID, and CTR: the ctr-remote command that talks to it.
containerd_start() {
	local dir=$T/containerd
	mkdir -p "$dir"
	cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/sock"
[ttrpc]
  address = "$dir/sock.ttrpc"
EOF
	containerd --config "$dir/config.toml" >"$dir/log" 2>&1 &
	CTD_PID=$!
	on_exit "stop_pid $CTD_PID"
	CTR=(ctr-remote --address "$dir/sock" --namespace ovlmig-test)
	for _ in $(seq 100); do
		"${CTR[@]}" version >/dev/null 2>&1 && return 0
		kill -0 "$CTD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not start: $(tail -3 "$dir/log")" >&2
	return 1
}

# estargz_push OCI_ARCHIVE NAME DEST [CONVERT-OPTIONS...]: the image NAME
# of OCI_ARCHIVE (buildah push ... oci-archive:FILE:NAME) converted to
# eStargz by ctr-remote and pushed over plain HTTP to DEST
# (127.0.0.1:PORT/REPO:TAG), through the containerd of containerd_start.
estargz_push() {
	local archive=$1 name=$2 dest=$3; shift 3
	"${CTR[@]}" images import --no-unpack "$archive" >/dev/null &&
		"${CTR[@]}" image convert --estargz --oci "$@" "$name" "$dest" >/dev/null &&
		"${CTR[@]}" image push --plain-http "$dest" >/dev/null
}

# --- images built by buildah ---------------------------------------------------

# buildah_image SRC IMAGE: the tree SRC as the one-layer image IMAGE
# (localhost/NAME:TAG: buildah from scratch, add, commit) in a buildah
# storage of the caller's own under $T/cs, removed at exit (nothing in
# /var/lib/containers). Sets B, the buildah command on that storage.
# buildah's output goes to $T/buildah.log, its last lines to stderr on
# failure.
buildah_image() {
	local src=$1 image=$2 ctr log=$T/buildah.log
	B=(buildah --root "$T/cs/root" --runroot "$T/cs/run" --storage-driver vfs)
	on_exit "${B[*]} rm --all >/dev/null 2>&1; rm -rf $T/cs"
	ctr=$("${B[@]}" from scratch 2>>"$log") && "${B[@]}" add "$ctr" "$src" / >>"$log" 2>&1 &&
		"${B[@]}" commit "$ctr" "$image" >>"$log" 2>&1 ||
		{ echo "buildah could not make $image: $(tail -3 "$log")" >&2; return 1; }
}
# buildah_archive IMAGE FILE: buildah_image's IMAGE written to the OCI
# archive FILE (oci-archive:FILE:IMAGE), as estargz_push takes it.
buildah_archive() {
	"${B[@]}" push "$1" "oci-archive:$2:$1" >>"$T/buildah.log" 2>&1 ||
		{ echo "buildah could not write $1 to $2: $(tail -3 "$T/buildah.log")" >&2; return 1; }
}
# zstd_chunked_push IMAGE DEST: buildah_image's IMAGE copied by skopeo to
# DEST (HOST:PORT/REPO:TAG, plain http) with zstd:chunked layers.
zstd_chunked_push() {
	skopeo copy -q --dest-tls-verify=false --dest-compress-format zstd:chunked \
		"containers-storage:[vfs@$T/cs/root+$T/cs/run]$1" "docker://$2"
}
# zstd_chunked_image SRC NAME: the registry of registry_start holding the
# tree SRC as test/NAME:1 with zstd:chunked layers (buildah_image
# localhost/NAME:1, then zstd_chunked_push); R: the registry's HOST:PORT.
# One ok for the push; exits the test on failure.
zstd_chunked_image() {
	buildah_image "$1" "localhost/$2:1" || { fail "buildah image"; exit 1; }
	registry_start || { fail "registry"; exit 1; }
	R=127.0.0.1:$REGISTRY_PORT
	zstd_chunked_push "localhost/$2:1" "$R/test/$2:1" 2>"$T/skopeo.err" &&
		ok "skopeo pushed test/$2:1 as zstd:chunked" ||
		{ fail "skopeo copy" "$(tail -3 "$T/skopeo.err")"; exit 1; }
}

# toc_manifest REPO [KEY]: REPO:1's image manifest from the registry of
# registry_start in $T/manifest.json (exits the test when it cannot be
# read); sets layer and layer_size (its last layer's digest and size)
# and annotation (that layer's annotation KEY, empty when absent).
toc_manifest() {
	curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://127.0.0.1:$REGISTRY_PORT/v2/$1/manifests/1" >"$T/manifest.json" ||
		{ fail "get manifest"; exit 1; }
	layer=$(jq -r '.layers[-1].digest' "$T/manifest.json")
	layer_size=$(jq -r '.layers[-1].size' "$T/manifest.json")
	annotation=$(jq -r --arg k "${2:-}" '.layers[-1].annotations[$k] // empty' "$T/manifest.json")
}

# toc_source SRC MIB: the TOC tests' source tree in SRC (made): a big
# incompressible file usr/lib/big.bin of MIB MiB (many chunks), small
# ones usr/share/doc/f1..f40.txt, a setuid script usr/bin/app, a symlink
# usr/bin/big-link, a hardlink f1-hard.txt, a user xattr on f2.txt. The
# caller adds its own, then sets the times (tar keeps whole seconds for
# directories).
toc_source() {
	local src=$1 i
	mkdir -p "$src/usr/bin" "$src/usr/lib" "$src/usr/share/doc"
	head -c $(($2 << 20)) /dev/urandom >"$src/usr/lib/big.bin"
	for i in $(seq 1 40); do seq "$i" $((i * 300)) >"$src/usr/share/doc/f$i.txt"; done
	printf '#!/bin/sh\necho app\n' >"$src/usr/bin/app"
	chmod 4755 "$src/usr/bin/app"
	ln -s ../lib/big.bin "$src/usr/bin/big-link"
	ln "$src/usr/share/doc/f1.txt" "$src/usr/share/doc/f1-hard.txt"
	setfattr -n user.note -v hello "$src/usr/share/doc/f2.txt"
}

# toc_cold_mount SOURCE FROM: lowerfs "cold" of SOURCE mounted at $T/m1
# with a fresh --cache (--insecure, log $T/cold.log); its log says
# "index: FROM" (where the layer's index came from: the TOC) and nothing
# of streaming the layer to index it. Exits the test when it does not
# start.
toc_cold_mount() {
	start_lowerfs cold "$1" "$T/m1" --insecure \
		--cache "$T/cache1" --log "$T/cold.log" 2>>"$T/cold.log" ||
		{ fail "lowerfs cold" "$(tail -3 "$T/cold.log")"; exit 1; }
	grep -q "index: $2" "$T/cold.log" && ok "index from $2" ||
		fail "not indexed from $2" "$(grep -i -e index -e toc "$T/cold.log" | head -3)"
	grep -q "reading the whole layer" "$T/cold.log" && fail "the layer was streamed to build an index"
	return 0
}

# toc_refused REPO TAG KEY REFUSAL REASON WHAT: the manifest of REPO:1
# ($T/manifest.json) with its last layer's annotation KEY set to a wrong
# sha256 (the TOC's WHAT: checksum, digest), put in the registry of
# registry_start as REPO:TAG; a cold lowerfs of REPO:TAG (run dir "bad",
# mounted at $T/m2, log $T/bad.log) logs "REFUSAL: REASON" and indexes
# the layer by streaming instead. The mount is left for the caller's
# checks of its tree (then: stop_lowerfs bad $T/m2).
toc_refused() {
	local repo=$1 tag=$2 key=$3 refusal=$4 reason=$5 what=$6 m=$T/m2
	jq --arg k "$key" '.layers[-1].annotations[$k] = "sha256:" + ("0" * 64)' \
		"$T/manifest.json" >"$T/bad.json"
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary @"$T/bad.json" "http://127.0.0.1:$REGISTRY_PORT/v2/$repo/manifests/$tag" >/dev/null ||
		{ fail "put tampered manifest"; exit 1; }
	start_lowerfs bad "docker://127.0.0.1:$REGISTRY_PORT/$repo:$tag" "$m" --insecure --cache "$T/cache2" \
		--log "$T/bad.log" 2>>"$T/bad.log" ||
		{ fail "lowerfs with a bad TOC $what" "$(tail -3 "$T/bad.log")"; exit 1; }
	grep -q "$refusal: $reason" "$T/bad.log" &&
		ok "bad TOC $what refused: $(grep -o "${reason}[^;]*" "$T/bad.log" | head -1)" ||
		fail "no refusal of the bad TOC" "$(grep -i toc "$T/bad.log" | head -3)"
	grep -q "index: built" "$T/bad.log" && ok "the layer was indexed by streaming instead" ||
		fail "no index built" "$(tail -3 "$T/bad.log")"
}

# toc_flip_check REPO AT WHY...: a mount of REPO:1 from the registry of
# registry_start through a fault proxy that flips the layer's byte at
# offset AT in every response (a fresh --cache, lowerfs run dir "flip"):
# reading usr/lib/big.bin, whose data holds AT, fails with EIO, never
# wrong bytes; the log says why (grep -o -e WHY ...: one of the patterns
# WHY); usr/share/doc/f3.txt still reads as in $src. The TOC tests' fault
# check (SRC's files at those paths).
toc_flip_check() {
	local repo=$1 at=$2 m=$T/m3 v why p pats=(); shift 2
	for p in "$@"; do pats+=(-e "$p"); done
	faultproxy_start "$REGISTRY_PORT" persistent-flip --flip-range "$at-$at" || { fail "faultproxy"; exit 1; }
	start_lowerfs flip "docker://127.0.0.1:$FAULTPROXY_PORT/$repo:1" "$m" --insecure \
		--cache "$T/cache3" --log "$T/flip.log" 2>>"$T/flip.log" ||
		{ fail "lowerfs flip" "$(tail -3 "$T/flip.log")"; exit 1; }
	v=$(read_verdict "$m/usr/lib/big.bin" "$src/usr/lib/big.bin")
	[[ $v == eio ]] &&
		ok "a flipped byte of big.bin (layer offset $at, $(faultproxy_count persistent-flip) responses flipped) reads EIO" ||
		fail "flipped byte: read was $v"
	why=$(grep -o "${pats[@]}" "$T/flip.log" | head -1)
	[[ -n $why ]] && ok "lowerfs says why: $why" ||
		fail "no digest message in the log" "$(tail -3 "$T/flip.log")"
	cmp -s "$m/usr/share/doc/f3.txt" "$src/usr/share/doc/f3.txt" && ok "other files still read right" ||
		fail "f3.txt differs under the flip"
	stop_lowerfs flip "$m"
}

# --- OCI layouts ---------------------------------------------------------------

# layer_media_type FILE: the OCI media type for a layer, from its magic bytes.
layer_media_type() {
	case $(head -c 4 "$1" | od -An -tx1 | tr -d ' \n') in
	1f8b*) echo application/vnd.oci.image.layer.v1.tar+gzip ;;
	28b52ffd) echo application/vnd.oci.image.layer.v1.tar+zstd ;;
	*) echo application/vnd.oci.image.layer.v1.tar ;;
	esac
}
# layer_diff_id FILE: sha256 of the uncompressed tar.
layer_diff_id() {
	case $(layer_media_type "$1") in
	*+gzip) gzip -dc "$1" ;;
	*+zstd) zstd -dcq "$1" ;;
	*) cat "$1" ;;
	esac | sha256sum | cut -d' ' -f1
}

# oci_put DIR FILE: store FILE as a blob of layout DIR; prints
# "DIGEST-HEX SIZE".
oci_put() {
	local dir=$1 file=$2 hex
	hex=$(sha256sum "$file" | cut -d' ' -f1)
	mkdir -p "$dir/blobs/sha256"
	cp "$file" "$dir/blobs/sha256/$hex"
	echo "$hex $(stat -L -c %s "$file")"
}

# oci_layout_from_layers DIR TAG LAYER...: an OCI image layout in DIR
# (created, or added to) holding one linux/amd64 image of LAYERs (lowest
# first), with index.json naming it TAG. Compression is kept as given;
# the config's rootfs.diff_ids are the sha256 of each uncompressed layer.
oci_layout_from_layers() {
	local dir=$1 tag=$2; shift 2
	local layer hex size layers_json="" diff_ids="" cfg man
	mkdir -p "$dir/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	for layer in "$@"; do
		read -r hex size < <(oci_put "$dir" "$layer")
		layers_json+="${layers_json:+,}{\"mediaType\":\"$(layer_media_type "$layer")\",\"digest\":\"sha256:$hex\",\"size\":$size}"
		diff_ids+="${diff_ids:+,}\"sha256:$(layer_diff_id "$layer")\""
	done
	cfg=$(mktemp "$T/oci-config.XXXXXX")
	jq -cn --argjson d "[$diff_ids]" '{
		architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
		rootfs: {type: "layers", diff_ids: $d},
		history: [$d[] | {created_by: "ovlmig tests"}]
	}' >"$cfg"
	read -r hex size < <(oci_put "$dir" "$cfg")
	man=$(mktemp "$T/oci-manifest.XXXXXX")
	jq -cn --argjson l "[$layers_json]" --arg c "sha256:$hex" --argjson cs "$size" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: $l
	}' >"$man"
	read -r hex size < <(oci_put "$dir" "$man")
	rm -f "$cfg" "$man"
	# index.json: keep other tags, replace this one
	local old='{"schemaVersion":2,"manifests":[]}'
	[[ -f $dir/index.json ]] && old=$(cat "$dir/index.json")
	jq -c --arg t "$tag" --arg d "sha256:$hex" --argjson s "$size" '
		.manifests |= [.[] | select(.annotations["org.opencontainers.image.ref.name"] != $t)]
		| .manifests += [{
			mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $d, size: $s,
			platform: {architecture: "amd64", os: "linux"},
			annotations: {"org.opencontainers.image.ref.name": $t}}]
		| .mediaType = "application/vnd.oci.image.index.v1+json"
	' <<<"$old" >"$dir/index.json"
}

# oci_manifest_digest DIR TAG: "sha256:..." of TAG's manifest in a layout.
oci_manifest_digest() {
	jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$1/index.json"
}

# registry_push LAYOUT TAG REPO: copy the image to the registry started by
# registry_start as REPO:TAG. --preserve-digests: skopeo must push the
# manifest and layers byte for byte (it refuses rather than recompress).
# With skopeo 1.9 the registry then serves the layout's manifest unchanged,
# gzip, zstd and plain layers alike (remote_infra.sh checks it).
registry_push() {
	local layout=$1 tag=$2 repo=$3
	skopeo --insecure-policy copy --quiet --dest-tls-verify=false --preserve-digests \
		"oci:$layout:$tag" "docker://127.0.0.1:$REGISTRY_PORT/$repo:$tag"
}

# --- fault proxy -------------------------------------------------------------

# faultproxy_start UPSTREAM_PORT MODE [faultproxy.py options...]: a proxy
# on http://127.0.0.1:$FAULTPROXY_PORT to 127.0.0.1:UPSTREAM_PORT. Sets
# FAULTPROXY_PORT, FAULTPROXY_PID, FAULTPROXY_LOG (JSON counters) and
# FAULTPROXY_OUT (one line per injected fault).
faultproxy_start() {
	local upstream=$1 mode=$2 dir; shift 2
	dir=$(mktemp -d "$T/faultproxy.XXXXXX")
	FAULTPROXY_LOG=$dir/counts.json
	FAULTPROXY_OUT=$dir/out
	# the proxy binds port 0 itself and reports the port: no race
	python3 "$FAULTPROXY" --upstream "$upstream" --mode "$mode" \
		--port-file "$dir/port" --log "$FAULTPROXY_LOG" "$@" >"$FAULTPROXY_OUT" 2>&1 &
	FAULTPROXY_PID=$!
	on_exit "stop_pid $FAULTPROXY_PID"
	for _ in $(seq 100); do
		[[ -s $dir/port ]] && break
		kill -0 "$FAULTPROXY_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ ! -s $dir/port ]]; then
		echo "faultproxy did not start: $(tail -3 "$FAULTPROXY_OUT")" >&2
		return 1
	fi
	FAULTPROXY_PORT=$(cat "$dir/port")
}
# max_overlap: the most intervals ("START END" lines on stdin, as in the
# fault proxy's --requests log) in flight at once.
max_overlap() {
	awk '{ print $1, 1; print $2, -1 }' | sort -n -k1,1 -k2,2n |
		awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}
# layer_toc_json REGISTRY REPO TAG: the TOC of the last layer of REPO:TAG
# in the registry at REGISTRY (HOST:PORT, plain http) as JSON on stdout:
# zstd:chunked's by its manifest-position annotation, else eStargz's
# stargz.index.json (the layer read whole).
layer_toc_json() {
	local m layer pos off len
	m=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$1/v2/$2/manifests/$3") || return 1
	layer=$(jq -r '.layers[-1].digest' <<<"$m")
	pos=$(jq -r '.layers[-1].annotations["io.containers.zstd-chunked.manifest-position"] // empty' <<<"$m")
	if [[ -n $pos ]]; then
		IFS=: read -r off len _ <<<"$pos"
		curl -sf -r "$off-$((off + len - 1))" "http://$1/v2/$2/blobs/$layer" | zstd -dc
	else
		curl -sf "http://$1/v2/$2/blobs/$layer" | tar -xzO stargz.index.json
	fi
}
# faultproxy_count [KIND]: faults injected so far (of KIND, or all).
faultproxy_count() {
	if [[ -n ${1:-} ]]; then
		jq -r --arg k "$1" '.injected[$k] // 0' "$FAULTPROXY_LOG"
	else
		jq -r '[.injected[]] | add // 0' "$FAULTPROXY_LOG"
	fi
}

# --- layers ------------------------------------------------------------------

# layers_dir [--big]: generate the test layers once per build tree (and per
# version of mklayers.sh) into build/test-layers (removed by make clean),
# shared by the normal and the sanitizer runs; prints the directory. The
# 200 MiB layer is only made when asked for (--big). A lock keeps
# concurrent tests from building the same thing twice.
layers_dir() {
	local big=${1:-} key dir
	local top=${OVLMIG_TEST_CACHE:-$TOP/build/test-layers} old
	key=$(sha256sum "$MKLAYERS" | cut -c1-16)
	dir=$top/$key
	mkdir -p "$dir" || return 1
	(
		flock 9
		# layers of other versions of mklayers.sh: gone once unused for a
		# week (not at once: another work tree may be testing with them)
		touch "$dir"
		for old in "$top"/????????????????; do
			[[ $old != "$dir" && -d $old && $(basename "$old") =~ ^[0-9a-f]{16}$ ]] || continue
			[[ -n $(find "$old" -maxdepth 0 -mtime +7) ]] && rm -rf "$old" "$old.lock"
		done
		if [[ ! -e $dir/.done || ( $big == --big && ! -e $dir/.done-big ) ]]; then
			"$MKLAYERS" ${big:+"$big"} "$dir" >"$dir/.mklayers.log" 2>&1 || {
				echo "mklayers failed: $(tail -5 "$dir/.mklayers.log")" >&2
				exit 1
			}
		fi
	) 9>"$dir.lock" || return 1
	echo "$dir"
}

# serve_layers DOCROOT FILE...: a fresh docroot under $T with FILEs in it
# (symlinks: the shared layer cache is only ever read).
serve_layers() {
	local root=$1 f; shift
	mkdir -p "$root"
	for f in "$@"; do ln -sf "$f" "$root/$(basename "$f")"; done
}
# index_layer FILE [OPTION...]: FILE.index next to FILE (with `ovlmig
# index` and the OPTIONs), where a mount of FILE (path or URL) finds it.
# FILE is a test's own copy or link: an index belongs to the ovlmig build
# that made it, never to the cache.
index_layer() {
	local f=$1
	rm -f "$f.index"
	"$OVLMIG" index "$f" -o "$f.index" "${@:2}" >&2
}

# index_layers DIR: DIR's layers l1-l3 copied under $T and indexed there;
# LAYER_INDEX_ARGS gets "--index FILE" for each. Given indexes keep a
# cold mount from streaming (and so keeping) the layers.
index_layers() {
	local n
	LAYER_INDEX_ARGS=()
	for n in 1 2 3; do
		cp "$1/l$n.tar.gz" "$T/l$n.tar.gz" && index_layer "$T/l$n.tar.gz" 2>/dev/null ||
			{ fail "index l$n.tar.gz"; return 1; }
		LAYER_INDEX_ARGS+=(--index "$T/l$n.tar.gz.index")
	done
}

# expected_tree DIR OUT: the treesum of an expected tree, the way the tests
# compare it with a mounted one.
expected_tree() {
	"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$1" >"$2"
}
# same_tree NAME EXPECTED-SUMS DIR: ok when DIR's treesum equals the file.
same_tree() {
	local name=$1 expected=$2 dir=$3 got diffs
	got=$(mktemp "$T/got.XXXXXX")
	"$TOOLS/treesum" --no-atime "$dir" >"$got" 2>"$got.err"
	if diffs=$(diff -u "$expected" "$got"); then
		ok "$name ($(wc -l <"$got") entries)"
	else
		fail "$name" "$(head -20 <<<"$diffs")$(head -3 "$got.err")"
	fi
}

# stop_lowerfs NAME MNT: end the lowerfs started as NAME and its mount.
stop_lowerfs() {
	kill_lowerfs "$T/run-$1"
	umount -l "$2" 2>/dev/null
	return 0
}
# remote_stat NAME KEY: one counter of `stats`' "remote" object.
remote_stat() { ctl "$1" stats | jq -r ".remote.$2"; }

# read_verdict FILE EXPECTED: read FILE whole and tell how it went:
# "right" (the bytes of EXPECTED), "eio" (the read failed with EIO after
# returning only a true prefix, maybe empty), "wrong" (some byte it
# returned is not EXPECTED's: the one thing never allowed), or
# "error: MESSAGE" (failed some other way).
read_verdict() {
	local got err
	got=$(mktemp "$T/read.XXXXXX")
	if cat -- "$1" >"$got" 2>"$got.err"; then
		cmp -s "$got" "$2" && echo right || echo wrong
	elif ! cmp -s -n "$(stat -c %s "$got")" "$got" "$2"; then
		echo wrong
	elif grep -q 'Input/output error' "$got.err"; then
		echo eio
	else
		echo "error: $(head -1 "$got.err")"
	fi
	rm -f "$got" "$got.err"
}
