build2/obj/ovlmig/strategy_datadir.o: ovlmig/strategy_datadir.c \
 ovlmig/../image/tree.h ovlmig/../image/../common/error.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h ovlmig/../image/tree.h \
 ovlmig/detach.h ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/meta.h ovlmig/migrate.h ovlmig/overlay.h ovlmig/strategy.h
ovlmig/../image/tree.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/detach.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/meta.h:
ovlmig/migrate.h:
ovlmig/overlay.h:
ovlmig/strategy.h:
