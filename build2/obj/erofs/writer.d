build2/obj/erofs/writer.o: erofs/writer.c erofs/writer_int.h \
 erofs/arena.h erofs/erofs_writer.h erofs/../common/error.h \
 erofs/../common/log_escape.h erofs/ondisk.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
erofs/../common/log_escape.h:
erofs/ondisk.h:
