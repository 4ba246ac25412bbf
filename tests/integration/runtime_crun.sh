#!/usr/bin/env bash
# The container lifecycle of runtime_runc.sh with Debian's crun. crun
# refuses a hybrid cgroup setup while cgroup2 lists the hugetlb
# controller; the test binds hugetlb to a v1 hierarchy for its duration.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/runtime_lib.sh"
require_root "crun with ovlmig"
command -v crun >/dev/null || { fail "crun not installed"; exit 1; }
export RUNTIME=crun

v2=$(findmnt -n -o TARGET -t cgroup2 | head -1)
if [[ -n $v2 && -n $(findmnt -n -t cgroup -o TARGET | head -1) ]] &&
   grep -qw hugetlb "$v2/cgroup.controllers" 2>/dev/null; then
	mkdir -p /sys/fs/cgroup/hugetlb
	mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb ||
		{ fail "mount a v1 hugetlb hierarchy for crun"; exit 1; }
	on_exit "umount /sys/fs/cgroup/hugetlb; rmdir /sys/fs/cgroup/hugetlb"
	echo "# hybrid cgroups: hugetlb bound to v1 at /sys/fs/cgroup/hugetlb for crun"
fi
make_image "$T/img" 8
start_serve || { fail "ovlmig serve did not start"; exit 1; }
lifecycle "$T/b1" c1
