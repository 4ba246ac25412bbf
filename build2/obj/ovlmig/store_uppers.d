build2/obj/ovlmig/store_uppers.o: ovlmig/store_uppers.c \
 ovlmig/store_uppers.h ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h \
 ovlmig/../image/digest.h ovlmig/../image/../common/error.h
ovlmig/store_uppers.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../image/digest.h:
ovlmig/../image/../common/error.h:
