build2/obj/lowerfs/data.o: lowerfs/data.c lowerfs/../common/util.h \
 lowerfs/fuse_compat.h lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/../common/error.h lowerfs/../image/tree.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h
lowerfs/../common/util.h:
lowerfs/fuse_compat.h:
lowerfs/lowerfs.h:
lowerfs/../common/error.h:
lowerfs/../control/fetch_latency.h:
lowerfs/../image/cache.h:
lowerfs/../image/../common/error.h:
lowerfs/../image/tree.h:
lowerfs/../image/source.h:
lowerfs/../image/fetch.h:
lowerfs/../image/tree.h:
lowerfs/../image/source.h:
