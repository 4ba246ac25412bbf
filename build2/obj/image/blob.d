build2/obj/image/blob.o: image/blob.c image/blob.h \
 image/../common/error.h image/fetch.h image/../common/fsutil.h \
 image/../common/error.h image/../common/util.h image/digest.h \
 image/log.h
image/blob.h:
image/../common/error.h:
image/fetch.h:
image/../common/fsutil.h:
image/../common/error.h:
image/../common/util.h:
image/digest.h:
image/log.h:
