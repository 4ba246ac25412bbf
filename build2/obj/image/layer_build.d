build2/obj/image/layer_build.o: image/layer_build.c image/layer_index.h \
 image/../common/error.h image/layer_types.h image/layer_priv.h \
 image/../common/util.h image/name_set.h
image/layer_index.h:
image/../common/error.h:
image/layer_types.h:
image/layer_priv.h:
image/../common/util.h:
image/name_set.h:
