build2/obj/ovlmig/detached.o: ovlmig/detached.c ovlmig/detached.h \
 ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/cache_dir.h
ovlmig/detached.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/cache_dir.h:
