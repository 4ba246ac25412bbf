build2/obj/ovlmig/state.o: ovlmig/state.c ovlmig/state.h \
 ovlmig/../common/error.h ovlmig/phase.h ovlmig/../common/json_file.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/../common/json_file.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
