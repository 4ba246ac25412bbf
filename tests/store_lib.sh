# Shared by the strategy store tests (ovlmig_store*.sh), sourced after
# lib.sh (and remote_lib.sh for the layer fixtures): the test's own image
# store, a status field, the images they mount.
export OVLMIG_STORE_DIR=$T/store

# status TARGET KEY: one field of `ovlmig status --json TARGET`
status() { "$OVLMIG" status --json "$1" | jq -r ".$2"; }

# store_oci_image: the test layers in $L, the flattened image's entries
# in $T/expected, an OCI layout $lay with l1..l3 as tag v1
store_oci_image() {
	L=$(layers_dir) || { fail "mklayers"; return 1; }
	expected_tree "$L/image.tree" "$T/expected"
	lay=$T/oci
	oci_layout_from_layers "$lay" v1 "$L"/l{1,2,3}.tar.gz
}

# store_http_tar: the test layers in $L; base.tar and its index served
# by nginx (NGINX_PORT) from $www; the image's entries in $T/image.sum
store_http_tar() {
	L=$(layers_dir) || { fail "mklayers"; return 1; }
	www=$T/www
	serve_layers "$www" "$L/base.tar"
	index_layer "$www/base.tar" 2>/dev/null || { fail "index base.tar"; return 1; }
	nginx_start "$www" || { fail "nginx"; return 1; }
	expected_tree "$L/base.tree" "$T/image.sum"
}

# store_serve_gz SRC RATE: the tree SRC as one gzip layer $www/big.tar.gz
# with its index beside it (the mount reads the index, not the layer),
# served by nginx at RATE per response; SRC's sum in $T/expected; sets
# source (the layer's tar: URL) and layer_bytes. Exits the test on failure.
store_serve_gz() {
	tar --owner=0 --group=0 -C "$1" -czf "$www/big.tar.gz" . || { fail "tar"; exit 1; }
	"$TOOLS/treesum" --no-atime "$1" >"$T/expected"
	index_layer "$www/big.tar.gz" 2>"$T/index.err" ||
		{ fail "ovlmig index" "$(cat "$T/index.err")"; exit 1; }
	nginx_start "$www" "$2" || { fail "nginx"; exit 1; }
	source=tar:http://127.0.0.1:$NGINX_PORT/big.tar.gz
	layer_bytes=$(stat -c %s "$www/big.tar.gz")
}

# mount_fresh: a store mount of $source at $T/m$n with a store and a
# cache of its own (so its fill fetches everything); sets M and IMG
n=0 M= IMG=
mount_fresh() {
	n=$((n + 1)) M=$T/m$n
	ovlmig_mount "$M" --strategy store --store "$T/store$n" --cache "$T/cache$n" \
		--source "$source" --upper "$T/u$n" --work "$T/w$n" >"$T/out" 2>&1 ||
		{ fail "mount $n" "$(head -3 "$T/out")"; return 1; }
	IMG=$(status "$M" store)
}
