build2/obj/image/registry.o: image/registry.c image/../common/error.h \
 image/manifest.h image/digest.h image/registry.h image/fetch.h
image/../common/error.h:
image/manifest.h:
image/digest.h:
image/registry.h:
image/fetch.h:
