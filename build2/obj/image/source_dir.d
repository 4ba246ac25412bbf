build2/obj/image/source_dir.o: image/source_dir.c \
 image/../common/fsutil.h image/../common/error.h image/../common/util.h \
 image/copy.h image/../common/error.h image/source.h image/fetch.h \
 image/tree.h
image/../common/fsutil.h:
image/../common/error.h:
image/../common/util.h:
image/copy.h:
image/../common/error.h:
image/source.h:
image/fetch.h:
image/tree.h:
