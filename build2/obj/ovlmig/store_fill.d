build2/obj/ovlmig/store_fill.o: ovlmig/store_fill.c \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/../control/control.h \
 ovlmig/../control/../common/error.h ovlmig/../image/cache.h \
 ovlmig/../image/../common/error.h ovlmig/../image/tree.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h \
 ovlmig/../image/store_data.h ovlmig/lowerfs_exec.h ovlmig/state.h \
 ovlmig/../common/error.h ovlmig/phase.h ovlmig/store.h \
 ovlmig/../image/image.h ovlmig/../image/log.h ovlmig/migrate.h \
 ovlmig/progress.h ovlmig/store_lock.h ovlmig/store_refs.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
ovlmig/../image/cache.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/tree.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/store_data.h:
ovlmig/lowerfs_exec.h:
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/store.h:
ovlmig/../image/image.h:
ovlmig/../image/log.h:
ovlmig/migrate.h:
ovlmig/progress.h:
ovlmig/store_lock.h:
ovlmig/store_refs.h:
