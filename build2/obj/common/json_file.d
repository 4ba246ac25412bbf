build2/obj/common/json_file.o: common/json_file.c common/json_file.h \
 common/error.h common/fsutil.h
common/json_file.h:
common/error.h:
common/fsutil.h:
