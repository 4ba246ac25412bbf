build2/obj/tests/unit/test_layer_limits.o: tests/unit/test_layer_limits.c \
 tests/unit/../../image/layer_index.h \
 tests/unit/../../image/../common/error.h \
 tests/unit/../../image/layer_types.h
tests/unit/../../image/layer_index.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/layer_types.h:
