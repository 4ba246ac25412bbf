build2/obj/image/span_cache.o: image/span_cache.c image/span_cache.h \
 image/../common/error.h image/layer_set.h image/blob.h image/fetch.h \
 image/digest.h image/layer_index.h image/layer_types.h image/source.h \
 image/tree.h
image/span_cache.h:
image/../common/error.h:
image/layer_set.h:
image/blob.h:
image/fetch.h:
image/digest.h:
image/layer_index.h:
image/layer_types.h:
image/source.h:
image/tree.h:
