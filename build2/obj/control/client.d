build2/obj/control/client.o: control/client.c control/control.h \
 control/../common/error.h control/../common/json_path.h \
 control/../common/util.h
control/control.h:
control/../common/error.h:
control/../common/json_path.h:
control/../common/util.h:
