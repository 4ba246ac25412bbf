build2/obj/image/store_data.o: image/store_data.c image/store_data.h \
 image/../common/error.h image/tree.h image/../common/util.h
image/store_data.h:
image/../common/error.h:
image/tree.h:
image/../common/util.h:
