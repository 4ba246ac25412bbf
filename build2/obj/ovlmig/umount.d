build2/obj/ovlmig/umount.o: ovlmig/umount.c ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/lower.h ovlmig/../common/error.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/umount.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/lower.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/umount.h:
