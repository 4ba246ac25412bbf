build2/obj/ovlmig/beneath.o: ovlmig/beneath.c ovlmig/beneath.h
ovlmig/beneath.h:
