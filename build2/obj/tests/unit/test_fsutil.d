build2/obj/tests/unit/test_fsutil.o: tests/unit/test_fsutil.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../common/json_file.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../common/json_file.h:
