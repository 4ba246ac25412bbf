build2/obj/tests/unit/test_tree.o: tests/unit/test_tree.c \
 tests/unit/../../image/tree.h tests/unit/../../image/../common/error.h
tests/unit/../../image/tree.h:
tests/unit/../../image/../common/error.h:
