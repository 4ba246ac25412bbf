build2/obj/ovlmig/cmd_images.o: ovlmig/cmd_images.c \
 ovlmig/../common/util.h ovlmig/commands.h ovlmig/../common/cli.h \
 ovlmig/exit_code.h ovlmig/store.h ovlmig/../common/error.h \
 ovlmig/../image/image.h ovlmig/../image/../common/error.h \
 ovlmig/../image/log.h ovlmig/../image/source.h ovlmig/../image/fetch.h \
 ovlmig/../image/tree.h ovlmig/migrate.h ovlmig/state.h ovlmig/phase.h \
 ovlmig/progress.h ovlmig/store_lock.h ovlmig/store_refs.h \
 ovlmig/store_images.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
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
ovlmig/store_images.h:
