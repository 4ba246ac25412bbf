build2/obj/ovlmig/hook_input.o: ovlmig/hook_input.c ovlmig/hook_input.h \
 ovlmig/../common/error.h ovlmig/../common/util.h
ovlmig/hook_input.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
