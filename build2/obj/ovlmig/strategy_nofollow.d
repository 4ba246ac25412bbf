build2/obj/ovlmig/strategy_nofollow.o: ovlmig/strategy_nofollow.c \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/detached.h ovlmig/../common/error.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/fusectl.h ovlmig/lower.h \
 ovlmig/nofollow_walk.h ovlmig/../image/source.h \
 ovlmig/../image/../common/error.h ovlmig/../image/fetch.h \
 ovlmig/../image/tree.h ovlmig/link_table.h ovlmig/progress.h \
 ovlmig/overlay.h ovlmig/shutdown.h ovlmig/strategy.h ovlmig/migrate.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/detached.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/fusectl.h:
ovlmig/lower.h:
ovlmig/nofollow_walk.h:
ovlmig/../image/source.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/link_table.h:
ovlmig/progress.h:
ovlmig/overlay.h:
ovlmig/shutdown.h:
ovlmig/strategy.h:
ovlmig/migrate.h:
