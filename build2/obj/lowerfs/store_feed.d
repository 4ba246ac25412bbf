build2/obj/lowerfs/store_feed.o: lowerfs/store_feed.c \
 lowerfs/../common/private_dir.h lowerfs/../common/error.h \
 lowerfs/../image/store_data.h lowerfs/../image/../common/error.h \
 lowerfs/../image/tree.h lowerfs/lowerfs.h lowerfs/../common/error.h \
 lowerfs/../control/fetch_latency.h lowerfs/../image/cache.h \
 lowerfs/../image/source.h lowerfs/../image/fetch.h \
 lowerfs/../image/tree.h lowerfs/../image/source.h
lowerfs/../common/private_dir.h:
lowerfs/../common/error.h:
lowerfs/../image/store_data.h:
lowerfs/../image/../common/error.h:
lowerfs/../image/tree.h:
lowerfs/lowerfs.h:
lowerfs/../common/error.h:
lowerfs/../control/fetch_latency.h:
lowerfs/../image/cache.h:
lowerfs/../image/source.h:
lowerfs/../image/fetch.h:
lowerfs/../image/tree.h:
lowerfs/../image/source.h:
