build2/obj/tests/unit/test_error.o: tests/unit/test_error.c \
 tests/unit/../../common/cli.h tests/unit/../../common/error.h \
 tests/unit/../../common/util.h
tests/unit/../../common/cli.h:
tests/unit/../../common/error.h:
tests/unit/../../common/util.h:
