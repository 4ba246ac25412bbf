build2/obj/image/layer_read.o: image/layer_read.c image/layer_index.h \
 image/../common/error.h image/layer_types.h image/layer_priv.h
image/layer_index.h:
image/../common/error.h:
image/layer_types.h:
image/layer_priv.h:
