build2/obj/erofs/emit.o: erofs/emit.c erofs/writer_int.h erofs/arena.h \
 erofs/erofs_writer.h erofs/../common/error.h erofs/../common/util.h \
 erofs/ondisk.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
erofs/../common/util.h:
erofs/ondisk.h:
