build2/obj/image/name_set.o: image/name_set.c image/name_set.h \
 image/../common/keyed_hash.h
image/name_set.h:
image/../common/keyed_hash.h:
