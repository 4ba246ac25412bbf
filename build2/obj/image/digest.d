build2/obj/image/digest.o: image/digest.c image/digest.h \
 image/../common/error.h
image/digest.h:
image/../common/error.h:
