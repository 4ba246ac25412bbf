#!/usr/bin/env bash
# ovlmig_workload.sh for strategy datadir, the fallback where store cannot
# run: there migrate's copy-ups race the writers in the upper.
WORKLOAD_STRATEGY=datadir . "$(dirname "$0")/ovlmig_workload.sh"
