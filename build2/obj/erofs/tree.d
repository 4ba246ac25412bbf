build2/obj/erofs/tree.o: erofs/tree.c erofs/writer_int.h erofs/arena.h \
 erofs/erofs_writer.h erofs/../common/error.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
