build2/obj/tests/helpers/erofs_from_dir.o: tests/helpers/erofs_from_dir.c \
 tests/helpers/../../erofs/erofs_writer.h \
 tests/helpers/../../erofs/../common/error.h
tests/helpers/../../erofs/erofs_writer.h:
tests/helpers/../../erofs/../common/error.h:
