build2/obj/tests/unit/test_beneath.o: tests/unit/test_beneath.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../ovlmig/beneath.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../ovlmig/beneath.h:
