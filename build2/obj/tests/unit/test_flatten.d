build2/obj/tests/unit/test_flatten.o: tests/unit/test_flatten.c \
 tests/unit/../../image/flatten.h \
 tests/unit/../../image/../common/error.h tests/unit/../../image/tree.h \
 tests/unit/../../image/layer_index.h \
 tests/unit/../../image/layer_types.h
tests/unit/../../image/flatten.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/tree.h:
tests/unit/../../image/layer_index.h:
tests/unit/../../image/layer_types.h:
