build2/obj/image/cache.o: image/cache.c image/cache.h \
 image/../common/error.h image/tree.h image/source.h image/fetch.h \
 image/../common/fsutil.h image/../common/error.h image/../common/util.h \
 image/digest.h
image/cache.h:
image/../common/error.h:
image/tree.h:
image/source.h:
image/fetch.h:
image/../common/fsutil.h:
image/../common/error.h:
image/../common/util.h:
image/digest.h:
