build2/obj/ovlmig/store_refs.o: ovlmig/store_refs.c \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/json_file.h ovlmig/../common/util.h ovlmig/store_lock.h \
 ovlmig/../common/error.h ovlmig/store_refs.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/json_file.h:
ovlmig/../common/util.h:
ovlmig/store_lock.h:
ovlmig/../common/error.h:
ovlmig/store_refs.h:
