build2/obj/ovlmig/mount.o: ovlmig/mount.c \
 /usr/include/libmount/libmount.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/private_dir.h \
 ovlmig/../common/util.h ovlmig/../image/tree.h \
 ovlmig/../image/../common/error.h ovlmig/../image/source.h \
 ovlmig/../image/fetch.h ovlmig/../image/tree.h ovlmig/cache_dir.h \
 ovlmig/../common/error.h ovlmig/detached.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/exit_code.h ovlmig/lower.h ovlmig/meta.h ovlmig/mount.h \
 ovlmig/overlay.h ovlmig/paths.h ovlmig/shutdown.h ovlmig/store.h \
 ovlmig/../image/image.h ovlmig/../image/log.h ovlmig/../image/source.h \
 ovlmig/migrate.h ovlmig/progress.h ovlmig/store_lock.h \
 ovlmig/store_refs.h ovlmig/strategy.h
/usr/include/libmount/libmount.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/private_dir.h:
ovlmig/../common/util.h:
ovlmig/../image/tree.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/cache_dir.h:
ovlmig/../common/error.h:
ovlmig/detached.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/exit_code.h:
ovlmig/lower.h:
ovlmig/meta.h:
ovlmig/mount.h:
ovlmig/overlay.h:
ovlmig/paths.h:
ovlmig/shutdown.h:
ovlmig/store.h:
ovlmig/../image/image.h:
ovlmig/../image/log.h:
ovlmig/../image/source.h:
ovlmig/migrate.h:
ovlmig/progress.h:
ovlmig/store_lock.h:
ovlmig/store_refs.h:
ovlmig/strategy.h:
