build2/obj/ovlmig/progress.o: ovlmig/progress.c ovlmig/progress.h \
 ovlmig/../common/error.h ovlmig/../common/json_file.h \
 ovlmig/../common/error.h ovlmig/../common/util.h ovlmig/status_keys.h
ovlmig/progress.h:
ovlmig/../common/error.h:
ovlmig/../common/json_file.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/status_keys.h:
