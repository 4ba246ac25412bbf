build2/obj/lowerfs/control_server.o: lowerfs/control_server.c \
 lowerfs/control_server.h lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/../common/error.h lowerfs/../image/tree.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h \
 lowerfs/../common/json_path.h lowerfs/../common/util.h \
 lowerfs/../control/control.h lowerfs/../control/../common/error.h \
 lowerfs/fuse_req.h lowerfs/fuse_compat.h
lowerfs/control_server.h:
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
lowerfs/../common/json_path.h:
lowerfs/../common/util.h:
lowerfs/../control/control.h:
lowerfs/../control/../common/error.h:
lowerfs/fuse_req.h:
lowerfs/fuse_compat.h:
