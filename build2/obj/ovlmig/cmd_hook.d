build2/obj/ovlmig/cmd_hook.o: ovlmig/cmd_hook.c \
 ovlmig/../common/log_escape.h ovlmig/../common/util.h ovlmig/commands.h \
 ovlmig/../common/cli.h ovlmig/exit_code.h ovlmig/hook.h \
 ovlmig/../common/error.h ovlmig/hook_input.h
ovlmig/../common/log_escape.h:
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/hook.h:
ovlmig/../common/error.h:
ovlmig/hook_input.h:
