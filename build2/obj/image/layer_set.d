build2/obj/image/layer_set.o: image/layer_set.c image/layer_set.h \
 image/../common/error.h image/blob.h image/fetch.h image/digest.h \
 image/layer_index.h image/layer_types.h image/source.h image/tree.h \
 image/../common/fsutil.h image/../common/error.h image/../common/util.h \
 image/log.h image/registry.h image/manifest.h
image/layer_set.h:
image/../common/error.h:
image/blob.h:
image/fetch.h:
image/digest.h:
image/layer_index.h:
image/layer_types.h:
image/source.h:
image/tree.h:
image/../common/fsutil.h:
image/../common/error.h:
image/../common/util.h:
image/log.h:
image/registry.h:
image/manifest.h:
