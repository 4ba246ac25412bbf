build2/obj/tests/unit/test_erofs_writer.o: tests/unit/test_erofs_writer.c \
 tests/unit/../../erofs/erofs_writer.h \
 tests/unit/../../erofs/../common/error.h
tests/unit/../../erofs/erofs_writer.h:
tests/unit/../../erofs/../common/error.h:
