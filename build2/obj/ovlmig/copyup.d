build2/obj/ovlmig/copyup.o: ovlmig/copyup.c ovlmig/copyup.h \
 ovlmig/beneath.h
ovlmig/copyup.h:
ovlmig/beneath.h:
