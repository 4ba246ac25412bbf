build2/obj/ovlmig/metrics.o: ovlmig/metrics.c ovlmig/metrics.h \
 ovlmig/../common/error.h ovlmig/../common/util.h \
 ovlmig/../control/control.h ovlmig/../control/../common/error.h \
 ovlmig/../control/fetch_latency.h ovlmig/mount_events.h ovlmig/state.h \
 ovlmig/phase.h ovlmig/status.h ovlmig/status_keys.h
ovlmig/metrics.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
ovlmig/../control/fetch_latency.h:
ovlmig/mount_events.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/status.h:
ovlmig/status_keys.h:
