build2/obj/ovlmig/cmd_status.o: ovlmig/cmd_status.c \
 ovlmig/../common/util.h ovlmig/commands.h ovlmig/../common/cli.h \
 ovlmig/exit_code.h ovlmig/state.h ovlmig/../common/error.h \
 ovlmig/phase.h ovlmig/status.h ovlmig/status_keys.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/status.h:
ovlmig/status_keys.h:
