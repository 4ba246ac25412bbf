build2/obj/image/tree.o: image/tree.c image/tree.h \
 image/../common/error.h
image/tree.h:
image/../common/error.h:
