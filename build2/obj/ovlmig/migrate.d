build2/obj/ovlmig/migrate.o: ovlmig/migrate.c ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h \
 ovlmig/../control/control.h ovlmig/../control/../common/error.h \
 ovlmig/../image/source.h ovlmig/../image/../common/error.h \
 ovlmig/../image/fetch.h ovlmig/../image/tree.h ovlmig/beneath.h \
 ovlmig/copyup.h ovlmig/lower.h ovlmig/../common/error.h ovlmig/state.h \
 ovlmig/phase.h ovlmig/lowerfs_exec.h ovlmig/migrate.h ovlmig/progress.h \
 ovlmig/repin.h ovlmig/repin_journal.h ovlmig/source_watch.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
ovlmig/../image/source.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/beneath.h:
ovlmig/copyup.h:
ovlmig/lower.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/lowerfs_exec.h:
ovlmig/migrate.h:
ovlmig/progress.h:
ovlmig/repin.h:
ovlmig/repin_journal.h:
ovlmig/source_watch.h:
