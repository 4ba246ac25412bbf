build2/obj/tests/unit/test_image.o: tests/unit/test_image.c \
 tests/unit/../../image/image.h tests/unit/../../image/../common/error.h \
 tests/unit/../../image/log.h tests/unit/../../image/source.h \
 tests/unit/../../image/fetch.h tests/unit/../../image/tree.h
tests/unit/../../image/image.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/log.h:
tests/unit/../../image/source.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/tree.h:
