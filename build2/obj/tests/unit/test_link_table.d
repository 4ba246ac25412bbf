build2/obj/tests/unit/test_link_table.o: tests/unit/test_link_table.c \
 tests/unit/../../ovlmig/link_table.h
tests/unit/../../ovlmig/link_table.h:
