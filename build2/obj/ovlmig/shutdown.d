build2/obj/ovlmig/shutdown.o: ovlmig/shutdown.c ovlmig/shutdown.h \
 ovlmig/../common/error.h
ovlmig/shutdown.h:
ovlmig/../common/error.h:
