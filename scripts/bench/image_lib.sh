# The benchmark image of startup.sh and index_push.sh, sourced after
# tests/lib.sh (and tests/remote_lib.sh for image_index_push): needs T,
# OVLMIG, BUSYBOX, IMAGE_MB, SMALL_FILES, MiB, and the caller's die, note,
# now and secs. build_image writes $T/www/{base,libs,app}.tar.gz and
# their indexes; image_cached reuses them from IMAGE_CACHE.

# rnd SEED BYTES: seeded incompressible bytes (fast: AES-CTR)
rnd() {
	local key
	key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
	{ openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 \
		-nosalt -in /dev/zero 2>/dev/null || true; } | head -c "$2"
}

# --- the image ---------------------------------------------------------------
# base: busybox and its links, /etc, many small text files; libs and app:
# large random files (IMAGE_MB split 60/40), so the layers are as big
# compressed as they are on disk.
build_image() {
	local img=$T/img i n b
	mkdir -p "$img"/{base,libs,app} "$T/www"
	b=$img/base
	mkdir -p "$b"/{bin,etc,tmp,usr/share/doc}
	cp "$BUSYBOX" "$b/bin/busybox"
	for i in sh true cat ls env; do ln -s busybox "$b/bin/$i"; done
	echo 'root:x:0:0:root:/:/bin/sh' >"$b/etc/passwd"
	echo 'root:x:0:' >"$b/etc/group"
	echo 'APP=bench' >"$b/etc/app.conf"
	for ((i = 0; i < SMALL_FILES; i += 1000)); do mkdir -p "$b/usr/share/doc/d$((i / 1000))"; done
	# one awk for all the small files: a fork each would take minutes
	awk -v n="$SMALL_FILES" -v dir="$b/usr/share/doc" 'BEGIN {
		for (i = 0; i < n; i++) {
			f = sprintf("%s/d%d/f%d", dir, int(i / 1000), i)
			printf "document %d\n", i >f
			for (j = 0; j < i % 50; j++) print i + j >f
			close(f)
		}
	}'
	n=$((IMAGE_MB * 6 / 10 / 16 + 1))
	mkdir -p "$img/libs/usr/lib"
	for ((i = 0; i < n; i++)); do rnd "lib$i" $((16 * MiB)) >"$img/libs/usr/lib/lib$i.so"; done
	n=$((IMAGE_MB * 4 / 10 / 16 + 1))
	mkdir -p "$img/app/app/data"
	for ((i = 0; i < n; i++)); do rnd "app$i" $((16 * MiB)) >"$img/app/app/data/blob$i"; done
	printf '#!/bin/sh\necho app\n' >"$img/app/app/run.sh"
	chmod 0755 "$img/app/app/run.sh"
	for l in base libs app; do
		tar -c --numeric-owner -C "$img/$l" . | gzip -1 >"$T/www/$l.tar.gz"
		"$OVLMIG" index "$T/www/$l.tar.gz" -o "$T/www/$l.tar.gz.index" ||
			die "ovlmig index $l.tar.gz failed"
	done
	rm -rf "$img"
}


# --- a compressible image: this machine's own files (issue 18) ---------------
# build_image_real: base is busybox, /etc's three files and /usr/bin's
# regular files under 2 MiB; libs is /usr/lib/x86_64-linux-gnu (files
# under 8 MiB, symlinks kept: the sonames); app is /usr/include. Each
# layer `tar | gzip -6 -n`, as a docker build would make it: real
# binaries, libraries and headers that deflate about 3x, read in place
# (no download). The same names as build_image's layers.
build_image_real() {
	local img=$T/img b l
	mkdir -p "$img/base/bin" "$img/base/etc" "$T/www"
	b=$img/base
	cp "$BUSYBOX" "$b/bin/busybox"
	echo 'root:x:0:0:root:/:/bin/sh' >"$b/etc/passwd"
	echo 'root:x:0:' >"$b/etc/group"
	echo 'APP=bench' >"$b/etc/app.conf"
	ln -s usr/lib "$b/lib"
	(cd / && find usr/bin -type f -size -2048k | LC_ALL=C sort) >"$T/list-base"
	(cd / && find usr/lib/x86_64-linux-gnu \( -type f -size -8192k \) -o -type l | LC_ALL=C sort) >"$T/list-libs"
	(cd / && find usr/include \( -type f -o -type l \) | LC_ALL=C sort) >"$T/list-app"
	tar -C / --no-recursion -cf - -T "$T/list-base" | tar -C "$b" -xpf - || die "copy /usr/bin"
	(cd "$b" && find . | LC_ALL=C sort | tar --numeric-owner --no-recursion -cf - -T -) |
		gzip -6 -n >"$T/www/base.tar.gz" || die "tar base"
	for l in libs app; do
		tar -C / --numeric-owner --no-recursion -cf - -T "$T/list-$l" | gzip -6 -n >"$T/www/$l.tar.gz" ||
			die "tar $l"
	done
	for l in base libs app; do
		"$OVLMIG" index "$T/www/$l.tar.gz" -o "$T/www/$l.tar.gz.index" >/dev/null ||
			die "ovlmig index $l.tar.gz failed"
	done
	rm -rf "$img"
}

# --- kept between runs, pushed to a registry -------------------------------------
# image_cached BUILDER KEY WHAT: $T/www as BUILDER (build_image or
# build_image_real) makes it: copied from $IMAGE_CACHE/KEY when a run
# kept it there, else built (a note: building WHAT) and, with
# IMAGE_CACHE set, kept there for the next run.
image_cached() {
	local builder=$1 cached=${IMAGE_CACHE:+$IMAGE_CACHE/$2}
	if [[ -n $cached && -s $cached/app.tar.gz.index ]]; then
		note "reusing the image in $cached"
		mkdir -p "$T/www" && cp "$cached"/* "$T/www/" || die "copy $cached"
		return 0
	fi
	note "building $3 under $T"
	"$builder"
	if [[ -n $cached ]]; then
		mkdir -p "$cached" && cp "$T/www"/* "$cached/" || die "keep the image in $cached"
	fi
}

# image_index_push REPO: `ovlmig index --push` of REPO:v1 in the registry
# of registry_start (tests/remote_lib.sh),
# with a note of its time and last line.
image_index_push() {
	local t0
	t0=$(now)
	"$OVLMIG" index --push "docker://127.0.0.1:$REGISTRY_PORT/$1:v1" --insecure >"$T/out" 2>&1 ||
		die "index --push: $(head -3 "$T/out")"
	note "index --push took $(secs "$t0" "$(now)") s: $(tail -1 "$T/out")"
}
