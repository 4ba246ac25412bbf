build2/obj/ovlmig/meta.o: ovlmig/meta.c ovlmig/meta.h \
 ovlmig/../common/error.h ovlmig/../image/tree.h \
 ovlmig/../image/../common/error.h ovlmig/../common/util.h
ovlmig/meta.h:
ovlmig/../common/error.h:
ovlmig/../image/tree.h:
ovlmig/../image/../common/error.h:
ovlmig/../common/util.h:
