build2/obj/erofs/layout.o: erofs/layout.c erofs/writer_int.h \
 erofs/arena.h erofs/erofs_writer.h erofs/../common/error.h \
 erofs/ondisk.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
erofs/ondisk.h:
