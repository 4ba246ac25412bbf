build2/obj/ovlmig/phase.o: ovlmig/phase.c ovlmig/phase.h \
 ovlmig/../common/util.h
ovlmig/phase.h:
ovlmig/../common/util.h:
