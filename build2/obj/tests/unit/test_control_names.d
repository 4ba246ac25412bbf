build2/obj/tests/unit/test_control_names.o: \
 tests/unit/test_control_names.c \
 tests/unit/../../lowerfs/control_server.h \
 tests/unit/../../lowerfs/lowerfs.h \
 tests/unit/../../lowerfs/../common/error.h \
 tests/unit/../../lowerfs/../control/fetch_latency.h \
 tests/unit/../../lowerfs/../image/cache.h \
 tests/unit/../../lowerfs/../image/../common/error.h \
 tests/unit/../../lowerfs/../image/tree.h \
 tests/unit/../../lowerfs/../image/source.h \
 tests/unit/../../lowerfs/../image/fetch.h \
 tests/unit/../../lowerfs/../image/tree.h \
 tests/unit/../../lowerfs/../image/source.h
tests/unit/../../lowerfs/control_server.h:
tests/unit/../../lowerfs/lowerfs.h:
tests/unit/../../lowerfs/../common/error.h:
tests/unit/../../lowerfs/../control/fetch_latency.h:
tests/unit/../../lowerfs/../image/cache.h:
tests/unit/../../lowerfs/../image/../common/error.h:
tests/unit/../../lowerfs/../image/tree.h:
tests/unit/../../lowerfs/../image/source.h:
tests/unit/../../lowerfs/../image/fetch.h:
tests/unit/../../lowerfs/../image/tree.h:
tests/unit/../../lowerfs/../image/source.h:
