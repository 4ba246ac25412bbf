build2/obj/common/keyed_hash.o: common/keyed_hash.c common/keyed_hash.h
common/keyed_hash.h:
