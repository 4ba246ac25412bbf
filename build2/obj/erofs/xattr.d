build2/obj/erofs/xattr.o: erofs/xattr.c erofs/writer_int.h erofs/arena.h \
 erofs/erofs_writer.h erofs/../common/error.h erofs/ondisk.h
erofs/writer_int.h:
erofs/arena.h:
erofs/erofs_writer.h:
erofs/../common/error.h:
erofs/ondisk.h:
