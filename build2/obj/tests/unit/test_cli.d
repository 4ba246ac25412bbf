build2/obj/tests/unit/test_cli.o: tests/unit/test_cli.c \
 tests/unit/../../common/cli.h
tests/unit/../../common/cli.h:
