build2/obj/image/layer_stream.o: image/layer_stream.c image/layer_index.h \
 image/../common/error.h image/layer_types.h image/layer_priv.h
image/layer_index.h:
image/../common/error.h:
image/layer_types.h:
image/layer_priv.h:
