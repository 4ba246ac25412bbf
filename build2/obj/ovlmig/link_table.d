build2/obj/ovlmig/link_table.o: ovlmig/link_table.c ovlmig/link_table.h
ovlmig/link_table.h:
