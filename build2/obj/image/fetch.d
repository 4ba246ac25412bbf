build2/obj/image/fetch.o: image/fetch.c image/fetch.h \
 image/../common/error.h image/fetch_int.h image/fetch_auth.h
image/fetch.h:
image/../common/error.h:
image/fetch_int.h:
image/fetch_auth.h:
