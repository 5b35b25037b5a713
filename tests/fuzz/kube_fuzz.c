/*
 * lib/kube's parsers of untrusted bytes: kubeconfig resolution (contexts, base64, exec),
 * ExecCredential output, API Status bodies, and the watch stream (split into chunks at
 * arbitrary points, one JSON event per line). The first byte picks the chunk size.
 */
#include <stdlib.h>
#include <string.h>

#include "kube/kube_int.h"

static int count(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	(void)t;
	(void)obj;
	return ++*(int *)ctx > 1000 ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct kube_config cfg = KUBE_CONFIG_INIT;
	struct kube__cred cred;
	struct kube_watch *w = NULL;
	struct doc *d = NULL;
	const char *file = "fuzz.yaml";
	size_t chunk, off;
	int events = 0;
	char *s;

	if (size < 1 || size > (1 << 20))
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++, size--;
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	if (doc_parse_one(&d, file, s, size, DOC_PARSE_SECRET) == 0) {
		kube_config_from_docs(&cfg, &d, &file, 1, NULL);
		kube_config_release(&cfg);
	}
	doc_free(d);
	kube__cred_init(&cred);
	kube__exec_parse(&cred, s, size, "plugin");
	kube__cred_release(&cred);
	kube__api_error(409, "GET", "/x", s, size);
	kube__parse_time(s);
	kube__parse_retry_after(s, 0);

	if (kube_watch_new(&w, NULL, "v1", "ConfigMap", NULL, NULL) == 0) {
		for (off = 0; off < size; off += chunk)
			if (kube__watch_feed(w, count, &events, s + off,
			                     size - off < chunk ? size - off : chunk) != 0)
				break;
		kube_watch_free(w);
	}
	free(s);
	return 0;
}
