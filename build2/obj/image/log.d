build2/obj/image/log.o: image/log.c image/log.h
image/log.h:
