build2/obj/ovlmig/serve.o: ovlmig/serve.c ovlmig/serve.h \
 ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h ovlmig/job.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/serve_http.h ovlmig/status.h \
 ovlmig/status_keys.h
ovlmig/serve.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/job.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/serve_http.h:
ovlmig/status.h:
ovlmig/status_keys.h:
