build2/obj/common/log_escape.o: common/log_escape.c common/log_escape.h
common/log_escape.h:
