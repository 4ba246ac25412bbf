build2/obj/ovlmig/strategy_store.o: ovlmig/strategy_store.c \
 ovlmig/../common/util.h ovlmig/../image/image.h \
 ovlmig/../image/../common/error.h ovlmig/../image/log.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h ovlmig/../image/tree.h \
 ovlmig/cache_dir.h ovlmig/../common/error.h ovlmig/detach.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/lower.h ovlmig/lowerfs_exec.h \
 ovlmig/meta.h ovlmig/../image/tree.h ovlmig/overlay.h ovlmig/progress.h \
 ovlmig/store.h ovlmig/migrate.h ovlmig/store_lock.h ovlmig/store_refs.h \
 ovlmig/store_uppers.h ovlmig/strategy.h
ovlmig/../common/util.h:
ovlmig/../image/image.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/log.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/cache_dir.h:
ovlmig/../common/error.h:
ovlmig/detach.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/lower.h:
ovlmig/lowerfs_exec.h:
ovlmig/meta.h:
ovlmig/../image/tree.h:
ovlmig/overlay.h:
ovlmig/progress.h:
ovlmig/store.h:
ovlmig/migrate.h:
ovlmig/store_lock.h:
ovlmig/store_refs.h:
ovlmig/store_uppers.h:
ovlmig/strategy.h:
