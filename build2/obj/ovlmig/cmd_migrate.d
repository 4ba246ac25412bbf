build2/obj/ovlmig/cmd_migrate.o: ovlmig/cmd_migrate.c \
 ovlmig/../common/util.h ovlmig/commands.h ovlmig/../common/cli.h \
 ovlmig/exit_code.h ovlmig/migrate.h ovlmig/../common/error.h \
 ovlmig/state.h ovlmig/phase.h ovlmig/strategy.h ovlmig/overlay.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/migrate.h:
ovlmig/../common/error.h:
ovlmig/state.h:
ovlmig/phase.h:
ovlmig/strategy.h:
ovlmig/overlay.h:
