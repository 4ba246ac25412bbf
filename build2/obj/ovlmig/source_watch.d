build2/obj/ovlmig/source_watch.o: ovlmig/source_watch.c \
 ovlmig/source_watch.h ovlmig/../common/error.h \
 ovlmig/../control/control.h ovlmig/../control/../common/error.h
ovlmig/source_watch.h:
ovlmig/../common/error.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
