build2/obj/ovlmig/cmd_detach.o: ovlmig/cmd_detach.c \
 ovlmig/../common/util.h ovlmig/commands.h ovlmig/../common/cli.h \
 ovlmig/exit_code.h ovlmig/mount_events.h ovlmig/../common/error.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/strategy.h ovlmig/migrate.h \
 ovlmig/overlay.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/mount_events.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/strategy.h:
ovlmig/migrate.h:
ovlmig/overlay.h:
