build2/obj/image/source.o: image/source.c image/source.h \
 image/../common/error.h image/fetch.h image/tree.h \
 image/../common/util.h
image/source.h:
image/../common/error.h:
image/fetch.h:
image/tree.h:
image/../common/util.h:
