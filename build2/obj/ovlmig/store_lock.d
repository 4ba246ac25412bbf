build2/obj/ovlmig/store_lock.o: ovlmig/store_lock.c \
 ovlmig/../common/util.h ovlmig/store_lock.h ovlmig/../common/error.h
ovlmig/../common/util.h:
ovlmig/store_lock.h:
ovlmig/../common/error.h:
