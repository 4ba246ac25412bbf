build2/obj/image/manifest.o: image/manifest.c image/manifest.h \
 image/../common/error.h image/digest.h
image/manifest.h:
image/../common/error.h:
image/digest.h:
