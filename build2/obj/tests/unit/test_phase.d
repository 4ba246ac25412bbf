build2/obj/tests/unit/test_phase.o: tests/unit/test_phase.c \
 tests/unit/../../ovlmig/phase.h
tests/unit/../../ovlmig/phase.h:
