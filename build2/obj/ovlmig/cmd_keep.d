build2/obj/ovlmig/cmd_keep.o: ovlmig/cmd_keep.c ovlmig/../common/util.h \
 ovlmig/commands.h ovlmig/../common/cli.h ovlmig/exit_code.h \
 ovlmig/keeper.h ovlmig/../common/error.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/keeper.h:
ovlmig/../common/error.h:
