build2/obj/ovlmig/repin.o: ovlmig/repin.c ovlmig/repin.h \
 ovlmig/../common/error.h ovlmig/repin_journal.h ovlmig/../image/copy.h \
 ovlmig/../image/../common/error.h ovlmig/../image/source.h \
 ovlmig/../image/fetch.h ovlmig/../image/tree.h ovlmig/beneath.h
ovlmig/repin.h:
ovlmig/../common/error.h:
ovlmig/repin_journal.h:
ovlmig/../image/copy.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/beneath.h:
