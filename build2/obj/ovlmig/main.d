build2/obj/ovlmig/main.o: ovlmig/main.c ovlmig/../common/util.h \
 ovlmig/commands.h ovlmig/../common/cli.h ovlmig/exit_code.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
