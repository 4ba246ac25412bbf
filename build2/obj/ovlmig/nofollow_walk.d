build2/obj/ovlmig/nofollow_walk.o: ovlmig/nofollow_walk.c \
 ovlmig/nofollow_walk.h ovlmig/../common/error.h ovlmig/../image/source.h \
 ovlmig/../image/../common/error.h ovlmig/../image/fetch.h \
 ovlmig/../image/tree.h ovlmig/link_table.h ovlmig/progress.h \
 ovlmig/../common/fsutil.h ovlmig/../common/error.h \
 ovlmig/../common/util.h ovlmig/beneath.h ovlmig/copyup.h
ovlmig/nofollow_walk.h:
ovlmig/../common/error.h:
ovlmig/../image/source.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/link_table.h:
ovlmig/progress.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/beneath.h:
ovlmig/copyup.h:
