build2/obj/image/fetch_file.o: image/fetch_file.c image/../common/util.h \
 image/fetch_int.h image/../common/error.h image/fetch.h \
 image/fetch_auth.h
image/../common/util.h:
image/fetch_int.h:
image/../common/error.h:
image/fetch.h:
image/fetch_auth.h:
