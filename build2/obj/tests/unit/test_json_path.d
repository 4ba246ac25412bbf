build2/obj/tests/unit/test_json_path.o: tests/unit/test_json_path.c \
 tests/unit/../../control/control.h \
 tests/unit/../../control/../common/error.h \
 tests/unit/../../common/json_path.h
tests/unit/../../control/control.h:
tests/unit/../../control/../common/error.h:
tests/unit/../../common/json_path.h:
