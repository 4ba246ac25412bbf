build2/obj/common/fsutil.o: common/fsutil.c common/fsutil.h \
 common/error.h /usr/include/libmount/libmount.h common/util.h
common/fsutil.h:
common/error.h:
/usr/include/libmount/libmount.h:
common/util.h:
