build2/obj/tests/unit/test_progress.o: tests/unit/test_progress.c \
 tests/unit/../../ovlmig/progress.h \
 tests/unit/../../ovlmig/../common/error.h
tests/unit/../../ovlmig/progress.h:
tests/unit/../../ovlmig/../common/error.h:
