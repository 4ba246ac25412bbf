build2/obj/ovlmig/detach.o: ovlmig/detach.c ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/util.h \
 ovlmig/../control/control.h ovlmig/../control/../common/error.h \
 ovlmig/beneath.h ovlmig/copyup.h ovlmig/detach.h \
 ovlmig/../common/error.h ovlmig/state.h ovlmig/phase.h ovlmig/detached.h \
 ovlmig/fusectl.h ovlmig/holders.h ovlmig/lower.h ovlmig/lowerfs_exec.h \
 ovlmig/meta.h ovlmig/../image/tree.h ovlmig/../image/../common/error.h \
 ovlmig/migrate.h ovlmig/repin.h ovlmig/repin_journal.h ovlmig/shutdown.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../control/control.h:
ovlmig/../control/../common/error.h:
ovlmig/beneath.h:
ovlmig/copyup.h:
ovlmig/detach.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/detached.h:
ovlmig/fusectl.h:
ovlmig/holders.h:
ovlmig/lower.h:
ovlmig/lowerfs_exec.h:
ovlmig/meta.h:
ovlmig/../image/tree.h:
ovlmig/../image/../common/error.h:
ovlmig/migrate.h:
ovlmig/repin.h:
ovlmig/repin_journal.h:
ovlmig/shutdown.h:
