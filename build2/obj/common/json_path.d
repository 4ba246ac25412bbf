build2/obj/common/json_path.o: common/json_path.c common/json_path.h
common/json_path.h:
