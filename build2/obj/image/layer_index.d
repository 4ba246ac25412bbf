build2/obj/image/layer_index.o: image/layer_index.c image/layer_index.h \
 image/../common/error.h image/layer_types.h image/layer_priv.h \
 image/../common/util.h
image/layer_index.h:
image/../common/error.h:
image/layer_types.h:
image/layer_priv.h:
image/../common/util.h:
