build2/obj/tests/unit/test_name_set.o: tests/unit/test_name_set.c \
 tests/unit/../../common/keyed_hash.h tests/unit/../../image/name_set.h
tests/unit/../../common/keyed_hash.h:
tests/unit/../../image/name_set.h:
