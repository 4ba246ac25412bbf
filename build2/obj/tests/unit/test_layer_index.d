build2/obj/tests/unit/test_layer_index.o: tests/unit/test_layer_index.c \
 tests/unit/../../common/util.h tests/unit/../../image/layer_index.h \
 tests/unit/../../image/../common/error.h \
 tests/unit/../../image/layer_types.h
tests/unit/../../common/util.h:
tests/unit/../../image/layer_index.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/layer_types.h:
