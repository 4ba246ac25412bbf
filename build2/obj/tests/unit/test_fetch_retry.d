build2/obj/tests/unit/test_fetch_retry.o: tests/unit/test_fetch_retry.c \
 tests/unit/../../image/fetch_retry.h
tests/unit/../../image/fetch_retry.h:
