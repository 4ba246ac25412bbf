build2/obj/image/registry_oci.o: image/registry_oci.c \
 image/../common/util.h image/../common/error.h image/manifest.h \
 image/digest.h image/registry.h image/fetch.h
image/../common/util.h:
image/../common/error.h:
image/manifest.h:
image/digest.h:
image/registry.h:
image/fetch.h:
