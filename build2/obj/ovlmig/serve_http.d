build2/obj/ovlmig/serve_http.o: ovlmig/serve_http.c ovlmig/serve_http.h \
 ovlmig/../common/error.h ovlmig/../common/util.h ovlmig/metrics.h
ovlmig/serve_http.h:
ovlmig/../common/error.h:
ovlmig/../common/util.h:
ovlmig/metrics.h:
