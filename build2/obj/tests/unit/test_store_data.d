build2/obj/tests/unit/test_store_data.o: tests/unit/test_store_data.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../image/cache.h tests/unit/../../image/../common/error.h \
 tests/unit/../../image/tree.h tests/unit/../../image/source.h \
 tests/unit/../../image/fetch.h tests/unit/../../image/store_data.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../image/cache.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/tree.h:
tests/unit/../../image/source.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/store_data.h:
