build2/obj/ovlmig/overlay.o: ovlmig/overlay.c ovlmig/overlay.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/overlay.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
