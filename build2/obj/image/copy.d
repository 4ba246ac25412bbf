build2/obj/image/copy.o: image/copy.c image/copy.h \
 image/../common/error.h image/source.h image/fetch.h image/tree.h \
 image/../common/util.h
image/copy.h:
image/../common/error.h:
image/source.h:
image/fetch.h:
image/tree.h:
image/../common/util.h:
