build2/obj/image/fetch_auth.o: image/fetch_auth.c image/fetch_auth.h \
 image/../common/error.h image/fetch_int.h image/fetch.h
image/fetch_auth.h:
image/../common/error.h:
image/fetch_int.h:
image/fetch.h:
