build2/obj/erofs/arena.o: erofs/arena.c erofs/arena.h
erofs/arena.h:
