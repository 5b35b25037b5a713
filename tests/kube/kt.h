#ifndef GS_KT_H
#define GS_KT_H
/*
 * Helpers for the C tests against the real kube-apiserver (run-kube, driven by
 * tests/kube/t5000-client.sh with KUBECONFIG, KUBE_API_* from tests/kube/up.sh).
 */
#include "doc/doc.h"
#include "kube/kube.h"
#include "tests/unit/test.h"

/* The shared admin client from $KUBECONFIG (NULL when no server: the test skips). */
struct kube_client *kt_client(void);
/* A fresh namespace "t-<tag>-<random>" (static storage, one per call site is fine). */
const char *kt_ns(struct kube_client *kc, const char *tag);
/* A tree from YAML text made with printf-style args (NULL on a parse error, message printed). */
struct doc *kt_yaml(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Environment variable or NULL. */
const char *kt_env(const char *name);
/* Write text to a file in a temporary directory; returns its path (static). */
const char *kt_write_tmp(const char *name, const char *text, size_t len);

#define kt_setup(kc)                                                                               \
	do {                                                                                       \
		if (!((kc) = kt_client()))                                                         \
			skip_("no API server (KUBECONFIG/KUBE_API_URL not set)");                  \
	} while (0)

#endif
