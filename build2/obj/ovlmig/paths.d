build2/obj/ovlmig/paths.o: ovlmig/paths.c ovlmig/paths.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/paths.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
