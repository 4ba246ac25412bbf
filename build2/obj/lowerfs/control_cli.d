build2/obj/lowerfs/control_cli.o: lowerfs/control_cli.c \
 lowerfs/../common/cli.h lowerfs/../common/util.h \
 lowerfs/../control/control.h lowerfs/../control/../common/error.h \
 lowerfs/control_server.h lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/../common/error.h lowerfs/../image/tree.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h
lowerfs/../common/cli.h:
lowerfs/../common/util.h:
lowerfs/../control/control.h:
lowerfs/../control/../common/error.h:
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
