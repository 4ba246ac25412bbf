build2/obj/tests/unit/test_log_escape.o: tests/unit/test_log_escape.c \
 tests/unit/../../common/log_escape.h
tests/unit/../../common/log_escape.h:
