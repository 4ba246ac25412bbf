build2/obj/image/fetch_http.o: image/fetch_http.c image/../common/util.h \
 image/fetch_int.h image/../common/error.h image/fetch.h \
 image/fetch_auth.h image/fetch_retry.h image/log.h
image/../common/util.h:
image/fetch_int.h:
image/../common/error.h:
image/fetch.h:
image/fetch_auth.h:
image/fetch_retry.h:
image/log.h:
