build2/obj/common/private_dir.o: common/private_dir.c \
 common/private_dir.h common/error.h common/util.h
common/private_dir.h:
common/error.h:
common/util.h:
