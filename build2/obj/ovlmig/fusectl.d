build2/obj/ovlmig/fusectl.o: ovlmig/fusectl.c ovlmig/fusectl.h \
 ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/fusectl.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
