build2/obj/lowerfs/ops.o: lowerfs/ops.c lowerfs/fuse_req.h \
 lowerfs/fuse_compat.h lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/../common/error.h lowerfs/../image/tree.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h lowerfs/session.h
lowerfs/fuse_req.h:
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
lowerfs/session.h:
