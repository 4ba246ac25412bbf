build2/obj/tests/helpers/erofs_bench_tree.o: \
 tests/helpers/erofs_bench_tree.c \
 tests/helpers/../../erofs/erofs_writer.h \
 tests/helpers/../../erofs/../common/error.h
tests/helpers/../../erofs/erofs_writer.h:
tests/helpers/../../erofs/../common/error.h:
