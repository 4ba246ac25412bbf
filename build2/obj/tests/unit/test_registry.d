build2/obj/tests/unit/test_registry.o: tests/unit/test_registry.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../common/util.h tests/unit/../../image/digest.h \
 tests/unit/../../image/../common/error.h \
 tests/unit/../../image/fetch_auth.h tests/unit/../../image/manifest.h \
 tests/unit/../../image/digest.h tests/unit/../../image/registry.h \
 tests/unit/../../image/fetch.h tests/unit/../../image/manifest.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../common/util.h:
tests/unit/../../image/digest.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/fetch_auth.h:
tests/unit/../../image/manifest.h:
tests/unit/../../image/digest.h:
tests/unit/../../image/registry.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/manifest.h:
