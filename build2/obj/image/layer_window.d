build2/obj/image/layer_window.o: image/layer_window.c image/layer_priv.h \
 image/layer_types.h image/../common/error.h
image/layer_priv.h:
image/layer_types.h:
image/../common/error.h:
