build2/obj/image/fetch_retry.o: image/fetch_retry.c image/fetch_retry.h
image/fetch_retry.h:
