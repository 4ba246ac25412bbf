build2/obj/tests/unit/test_fetch_outage.o: tests/unit/test_fetch_outage.c \
 tests/unit/../../common/util.h tests/unit/../../image/fetch_int.h \
 tests/unit/../../image/../common/error.h tests/unit/../../image/fetch.h \
 tests/unit/../../image/fetch_auth.h
tests/unit/../../common/util.h:
tests/unit/../../image/fetch_int.h:
tests/unit/../../image/../common/error.h:
tests/unit/../../image/fetch.h:
tests/unit/../../image/fetch_auth.h:
