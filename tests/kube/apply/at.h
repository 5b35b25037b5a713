#ifndef GS_TEST_KUBE_APPLY_AT_H
#define GS_TEST_KUBE_APPLY_AT_H
/* Helpers for the lib/apply tests against the real API server (tests/kube/apply/at.c). */
#include "apply/apply.h"
#include "tests/kube/kt.h"

/* 6 random hex digits, fresh per call (static, one of a few rotating buffers). */
const char *at_suffix(void);
/* "t-apl-<x>" (rotating static buffers). */
const char *at_ns(const char *x);
/* The group/version of at_crd(): "x<x>.apl.example.com/v1". */
const char *at_gv(const char *x);
/* A CRD (YAML text) for kind/plural in group x<x>.apl.example.com, with spec.size and a status. */
const char *at_crd(const char *kind, const char *plural, const char *x);
/* printf into a rotating static buffer. */
const char *at_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse the printf-made YAML stream into s; at_last_text() is that text. */
int at_set(struct doc_stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *at_last_text(void);
/* The API server's own request counters (apiserver_request_total on /metrics) for the resources
 * these tests touch: writes (not dry runs) and dry runs. */
struct at_counts {
	long writes, dry_runs;
};
int at_counts(struct at_counts *out, struct kube_client *kc);
const char *at_paths(const struct apply_paths *p);
const char *at_json(const struct doc *d);
/* 1 if live's managedFields has an entry of this manager. */
int at_has_manager(const struct doc *live, const char *manager);

#endif
