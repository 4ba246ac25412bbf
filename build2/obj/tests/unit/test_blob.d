build2/obj/tests/unit/test_blob.o: tests/unit/test_blob.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../common/util.h tests/unit/../../image/blob.h \
 tests/unit/../../image/../common/error.h tests/unit/../../image/fetch.h \
 tests/unit/../../image/digest.h tests/unit/../../image/fetch.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../common/util.h:
tests/unit/../../image/blob.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/digest.h:
tests/unit/../../image/fetch.h:
