#!/usr/bin/env bash
# ovlmig_detach.sh for strategy datadir, the fallback where store cannot
# run: its migrate copies every file into the container's upper.
DETACH_STRATEGY=datadir . "$(dirname "$0")/ovlmig_detach.sh"
