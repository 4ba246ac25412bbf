build2/obj/image/layer_path.o: image/layer_path.c image/layer_priv.h \
 image/layer_types.h image/../common/error.h image/../common/keyed_hash.h
image/layer_priv.h:
image/layer_types.h:
image/../common/error.h:
image/../common/keyed_hash.h:
