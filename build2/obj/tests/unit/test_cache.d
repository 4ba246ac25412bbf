build2/obj/tests/unit/test_cache.o: tests/unit/test_cache.c \
 tests/unit/../../image/cache.h tests/unit/../../image/../common/error.h \
 tests/unit/../../image/tree.h tests/unit/../../image/source.h \
 tests/unit/../../image/fetch.h tests/unit/../../image/source.h
tests/unit/../../image/cache.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/tree.h:
tests/unit/../../image/source.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/source.h:
