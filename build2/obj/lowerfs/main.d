build2/obj/lowerfs/main.o: lowerfs/main.c lowerfs/../common/cli.h \
 lowerfs/../common/private_dir.h lowerfs/../common/error.h \
 lowerfs/../common/util.h lowerfs/../image/log.h lowerfs/control_server.h \
 lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/../common/error.h lowerfs/../image/tree.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h \
 lowerfs/../control/image_options.h lowerfs/session.h
lowerfs/../common/cli.h:
lowerfs/../common/private_dir.h:
lowerfs/../common/error.h:
lowerfs/../common/util.h:
lowerfs/../image/log.h:
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
lowerfs/../control/image_options.h:
lowerfs/session.h:
