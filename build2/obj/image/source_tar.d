build2/obj/image/source_tar.o: image/source_tar.c image/../common/util.h \
 image/flatten.h image/../common/error.h image/tree.h image/layer_index.h \
 image/layer_types.h image/../common/json_path.h image/layer_set.h \
 image/blob.h image/fetch.h image/digest.h image/source.h image/log.h \
 image/span_cache.h
image/../common/util.h:
image/flatten.h:
image/../common/error.h:
image/tree.h:
image/layer_index.h:
image/layer_types.h:
image/../common/json_path.h:
image/layer_set.h:
image/blob.h:
image/fetch.h:
image/digest.h:
image/source.h:
image/log.h:
image/span_cache.h:
