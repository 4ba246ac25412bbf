build2/obj/ovlmig/cmd_index.o: ovlmig/cmd_index.c \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/../image/layer_index.h \
 ovlmig/../image/../common/error.h ovlmig/../image/layer_types.h \
 ovlmig/commands.h ovlmig/../common/cli.h ovlmig/exit_code.h
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/../image/layer_index.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/layer_types.h:
ovlmig/commands.h:
ovlmig/../common/cli.h:
ovlmig/exit_code.h:
