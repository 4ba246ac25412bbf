build2/obj/ovlmig/cache_dir.o: ovlmig/cache_dir.c ovlmig/cache_dir.h \
 ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/cache_dir.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
