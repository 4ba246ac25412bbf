build2/obj/erofs/entry_path.o: erofs/entry_path.c erofs/writer_int.h \
 erofs/arena.h erofs/erofs_writer.h erofs/../common/error.h \
 erofs/../common/log_escape.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
erofs/../common/log_escape.h:
