build2/obj/ovlmig/cmd_mount.o: ovlmig/cmd_mount.c ovlmig/../common/util.h \
 ovlmig/../control/image_options.h ovlmig/commands.h \
 ovlmig/../common/cli.h ovlmig/exit_code.h ovlmig/mount.h \
 ovlmig/../common/error.h ovlmig/paths.h ovlmig/state.h ovlmig/phase.h
ovlmig/../common/util.h:
ovlmig/../control/image_options.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
ovlmig/mount.h:
ovlmig/../common/error.h:
ovlmig/paths.h:
ovlmig/state.h:
ovlmig/phase.h:
