#!/usr/bin/env bash
# The container lifecycle of runtime_runc.sh with Debian's crun. crun
# refuses a hybrid cgroup setup while cgroup2 lists the hugetlb
# controller; the test binds hugetlb to a v1 hierarchy for its duration.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/runtime_lib.sh"
require_root "crun with ovlmig"
command -v crun >/dev/null || { fail "crun not installed"; exit 1; }
export RUNTIME=crun

crun_cgroups_ready || { fail "mount a v1 hugetlb hierarchy for crun"; exit 1; }
make_image "$T/img" 8
start_serve || { fail "ovlmig serve did not start"; exit 1; }
lifecycle "$T/b1" c1
