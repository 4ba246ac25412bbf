build2/obj/ovlmig/repin_journal.o: ovlmig/repin_journal.c \
 ovlmig/repin_journal.h ovlmig/../common/error.h ovlmig/beneath.h
ovlmig/repin_journal.h:
ovlmig/../common/error.h:
ovlmig/beneath.h:
