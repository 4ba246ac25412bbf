build2/obj/tests/unit/test_meta.o: tests/unit/test_meta.c \
 tests/unit/../../common/fsutil.h tests/unit/../../common/error.h \
 tests/unit/../../ovlmig/meta.h tests/unit/../../ovlmig/../common/error.h \
 tests/unit/../../ovlmig/../image/tree.h \
 tests/unit/../../ovlmig/../image/../common/error.h \
 tests/unit/../../ovlmig/state.h tests/unit/../../ovlmig/phase.h
tests/unit/../../common/fsutil.h:
tests/unit/../../common/error.h:
tests/unit/../../ovlmig/meta.h:
tests/unit/../../ovlmig/../common/error.h:
tests/unit/../../ovlmig/../image/tree.h:
tests/unit/../../ovlmig/../image/../common/error.h:
tests/unit/../../ovlmig/state.h:
tests/unit/../../ovlmig/phase.h:
