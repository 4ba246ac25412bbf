build2/obj/image/image.o: image/image.c image/image.h \
 image/../common/error.h image/log.h image/source.h image/fetch.h \
 image/tree.h
image/image.h:
image/../common/error.h:
image/log.h:
image/source.h:
image/fetch.h:
image/tree.h:
