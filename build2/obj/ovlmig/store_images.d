build2/obj/ovlmig/store_images.o: ovlmig/store_images.c \
 ovlmig/store_images.h ovlmig/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h ovlmig/state.h \
 ovlmig/phase.h ovlmig/store.h ovlmig/../image/image.h \
 ovlmig/../image/../common/error.h ovlmig/../image/log.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h ovlmig/../image/tree.h \
 ovlmig/migrate.h ovlmig/progress.h ovlmig/store_lock.h \
 ovlmig/store_refs.h ovlmig/store_uppers.h
ovlmig/store_images.h:
ovlmig/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/store.h:
ovlmig/../image/image.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/log.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/migrate.h:
ovlmig/progress.h:
ovlmig/store_lock.h:
ovlmig/store_refs.h:
ovlmig/store_uppers.h:
