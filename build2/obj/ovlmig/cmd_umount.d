build2/obj/ovlmig/cmd_umount.o: ovlmig/cmd_umount.c \
 ovlmig/../common/util.h ovlmig/commands.h ovlmig/../common/cli.h \
 ovlmig/exit_code.h ovlmig/state.h ovlmig/../common/error.h \
 ovlmig/phase.h ovlmig/umount.h
ovlmig/../common/util.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/state.h:
ovlmig/../common/error.h:
ovlmig/phase.h:
ovlmig/umount.h:
