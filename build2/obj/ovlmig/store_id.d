build2/obj/ovlmig/store_id.o: ovlmig/store_id.c ovlmig/store_id.h \
 ovlmig/../common/error.h ovlmig/../image/image.h \
 ovlmig/../image/../common/error.h ovlmig/../image/log.h \
 ovlmig/../image/source.h ovlmig/../image/fetch.h ovlmig/../image/tree.h \
 ovlmig/../image/digest.h
ovlmig/store_id.h:
ovlmig/../common/error.h:
ovlmig/../image/image.h:
ovlmig/../image/../common/error.h:
ovlmig/../image/log.h:
ovlmig/../image/source.h:
ovlmig/../image/fetch.h:
ovlmig/../image/tree.h:
ovlmig/../image/digest.h:
