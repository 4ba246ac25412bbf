# Sourced by scripts that mount with ovlmig under their own OVLMIG_RUN_DIR.
# ovlmig_teardown TARGET: umount TARGET; if its state is gone or broken,
# take down by hand what is left under $OVLMIG_RUN_DIR (lowerfs, lowers).
ovlmig_teardown() {
	local p l
	"$OVLMIG" umount "$1" >/dev/null 2>&1 || umount -l "$1" 2>/dev/null || true
	for p in "$OVLMIG_RUN_DIR"/*/lowerfs/lowerfs.pid; do
		[[ -f $p ]] && kill "$(cat "$p")" 2>/dev/null
	done
	for l in "$OVLMIG_RUN_DIR"/*/lower; do umount -l "$l" 2>/dev/null || true; done
}
