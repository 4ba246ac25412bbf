build2/obj/image/flatten.o: image/flatten.c image/flatten.h \
 image/../common/error.h image/tree.h image/layer_index.h \
 image/layer_types.h image/log.h image/name_set.h
image/flatten.h:
image/../common/error.h:
image/tree.h:
image/layer_index.h:
image/layer_types.h:
image/log.h:
image/name_set.h:
