build2/obj/tests/unit/test_paths.o: tests/unit/test_paths.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../ovlmig/paths.h \
 tests/unit/../../ovlmig/../common/error.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../ovlmig/paths.h:
tests/unit/../../ovlmig/../common/error.h:
