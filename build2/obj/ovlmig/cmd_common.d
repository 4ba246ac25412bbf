build2/obj/ovlmig/cmd_common.o: ovlmig/cmd_common.c ovlmig/commands.h \
 ovlmig/../common/cli.h ovlmig/exit_code.h
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
