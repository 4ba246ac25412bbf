build2/obj/tests/unit/test_hostile_names.o: \
 tests/unit/test_hostile_names.c tests/unit/../../image/flatten.h \
 tests/unit/../../image/../common/error.h tests/unit/../../image/tree.h \
 tests/unit/../../image/layer_index.h \
 tests/unit/../../image/layer_types.h \
 tests/unit/../../image/layer_index.h
tests/unit/../../image/flatten.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/tree.h:
tests/unit/../../image/layer_index.h:
tests/unit/../../image/layer_types.h:
tests/unit/../../image/layer_index.h:
