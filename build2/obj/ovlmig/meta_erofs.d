build2/obj/ovlmig/meta_erofs.o: ovlmig/meta_erofs.c ovlmig/meta.h \
 ovlmig/../common/error.h ovlmig/../image/tree.h \
 ovlmig/../image/../common/error.h ovlmig/../common/fsutil.h \
 ovlmig/../common/error.h ovlmig/../common/private_dir.h \
 ovlmig/../common/util.h ovlmig/../erofs/erofs_writer.h \
 ovlmig/../erofs/../common/error.h
ovlmig/meta.h:
ovlmig/../common/error.h:
ovlmig/../image/tree.h:
ovlmig/../image/../common/error.h:
ovlmig/../common/fsutil.h:
ovlmig/../common/error.h:
ovlmig/../common/private_dir.h:
ovlmig/../common/util.h:
ovlmig/../erofs/erofs_writer.h:
ovlmig/../erofs/../common/error.h:
