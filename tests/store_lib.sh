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
