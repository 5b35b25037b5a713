/* Helpers for the kube tests (see kt.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "tests/kube/kt.h"

const char *kt_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

struct kube_client *kt_client(void)
{
	static struct kube_client *kc;
	if (!kc && kt_env("KUBE_API_URL") && kt_env("KUBECONFIG")) {
		struct kube_overrides ov = KUBE_OVERRIDES_INIT;
		if (kube_client_from_env(&kc, &ov, NULL) < 0) {
			printf("# kube client: %s\n", gs_error_last());
			kc = NULL;
		}
	}
	return kc;
}

const char *kt_ns(struct kube_client *kc, const char *tag)
{
	static char names[8][64];
	static int next;
	char *name = names[next++ % 8];
	struct doc *ns, *live = NULL;
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), 0) < 0)
		r = (unsigned)getpid();
	snprintf(name, 64, "t-%.30s-%06x", tag, r & 0xffffff);
	for (char *p = name; *p; p++)
		if (*p == '_')
			*p = '-';
	ns = kt_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n", name);
	if (!ns || kube_create(&live, kc, ns, NULL) < 0)
		printf("# namespace %s: %s\n", name, gs_error_last());
	doc_free(ns);
	doc_free(live);
	return name;
}

struct doc *kt_yaml(const char *fmt, ...)
{
	struct buf b = BUF_INIT(1 << 20);
	struct doc *d = NULL;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (doc_parse_one(&d, "test.yaml", b.p, b.len, 0) < 0) {
		printf("# kt_yaml: %s\n", gs_error_last());
		d = NULL;
	}
	buf_release(&b);
	return d;
}

const char *kt_write_tmp(const char *name, const char *text, size_t len)
{
	static char dir[256], path[512];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/kt.XXXXXX",
		         kt_env("TMPDIR") ? kt_env("TMPDIR") : "/tmp");
		if (!mkdtemp(dir))
			return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (file_write_atomic(path, text, len, 0600, 0) < 0)
		return NULL;
	return path;
}
