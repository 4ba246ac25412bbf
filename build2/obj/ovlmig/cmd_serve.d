build2/obj/ovlmig/cmd_serve.o: ovlmig/cmd_serve.c ovlmig/../common/util.h \
 ovlmig/commands.h ovlmig/../common/cli.h ovlmig/exit_code.h \
 ovlmig/serve.h ovlmig/../common/error.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/serve.h:
ovlmig/../common/error.h:
