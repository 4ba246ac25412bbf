#!/usr/bin/env bash
# Build the built-in sample image used by `make demo`: a small tree that
# looks like a container image (an app script, config, data files, a
# setuid helper, a large data blob) in directory DIR.
set -euo pipefail
dir=${1:?usage: sample-image.sh DIR}
mkdir -p "$dir"/{app,etc,data,usr/share/doc}
cat >"$dir/app/run.sh" <<'SCRIPT'
#!/bin/sh
# the sample "container workload": read the config, checksum some data
. "$(dirname "$0")/../etc/app.conf"
echo "app $APP_NAME: $(wc -l < "$(dirname "$0")/../data/words.txt") words,"\
 "sha256 of data/blob-small $(sha256sum < "$(dirname "$0")/../data/blob-small" | cut -c1-16)"
SCRIPT
chmod 0755 "$dir/app/run.sh"
echo 'APP_NAME=sample' >"$dir/etc/app.conf"
seq 1 20000 | sed 's/^/word-/' >"$dir/data/words.txt"
head -c 4M /dev/urandom >"$dir/data/blob-small"
head -c 64M /dev/urandom >"$dir/data/blob-large"
for i in $(seq 1 200); do echo "doc $i" >"$dir/usr/share/doc/page$i.txt"; done
cp /bin/true "$dir/app/helper"
chmod 4755 "$dir/app/helper"
ln -s ../app/run.sh "$dir/usr/run"
setfattr -n user.sample -v demo "$dir/etc/app.conf"
