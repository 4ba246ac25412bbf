build2/obj/ovlmig/store.o: ovlmig/store.c ovlmig/store.h \
 ovlmig/../common/error.h ovlmig/../image/image.h \
 ovlmig/../image/../common/error.h ovlmig/../image/log.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h ovlmig/../image/tree.h \
 ovlmig/migrate.h ovlmig/state.h ovlmig/phase.h ovlmig/progress.h \
 ovlmig/store_lock.h ovlmig/store_refs.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/json_file.h \
 ovlmig/../common/private_dir.h ovlmig/../common/util.h \
 ovlmig/../control/image_options.h ovlmig/meta.h ovlmig/../image/tree.h \
 ovlmig/paths.h ovlmig/store_id.h
ovlmig/store.h:
ovlmig/../common/error.h:
ovlmig/../image/image.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/log.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/migrate.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/progress.h:
ovlmig/store_lock.h:
ovlmig/store_refs.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/json_file.h:
ovlmig/../common/private_dir.h:
ovlmig/../common/util.h:
ovlmig/../control/image_options.h:
ovlmig/meta.h:
ovlmig/../image/tree.h:
ovlmig/paths.h:
ovlmig/store_id.h:
