build2/obj/ovlmig/holders.o: ovlmig/holders.c ovlmig/holders.h
ovlmig/holders.h:
