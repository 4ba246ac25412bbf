build2/obj/ovlmig/strategy.o: ovlmig/strategy.c ovlmig/strategy.h \
 ovlmig/../common/error.h ovlmig/migrate.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/overlay.h ovlmig/../common/util.h
ovlmig/strategy.h:
ovlmig/../common/error.h:
ovlmig/migrate.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/overlay.h:
ovlmig/../common/util.h:
