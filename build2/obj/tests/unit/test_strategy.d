build2/obj/tests/unit/test_strategy.o: tests/unit/test_strategy.c \
 tests/unit/../../ovlmig/strategy.h \
 tests/unit/../../ovlmig/../common/error.h \
 tests/unit/../../ovlmig/migrate.h tests/unit/../../ovlmig/state.h \
 tests/unit/../../ovlmig/phase.h tests/unit/../../ovlmig/overlay.h
tests/unit/../../ovlmig/strategy.h:
tests/unit/../../ovlmig/../common/error.h:
tests/unit/../../ovlmig/migrate.h:
tests/unit/../../ovlmig/state.h:
tests/unit/../../ovlmig/phase.h:
tests/unit/../../ovlmig/overlay.h:
