/*
 * lib/doc speed on a 3 MiB, 20 000-value YAML (a list of Kubernetes-like
 * objects with base64 values): libyaml's bare event parse (the floor) vs
 * doc_parse, and the emitters. Best of N runs, milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "doc/doc.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int libyaml_events(const char *src, size_t len)
{
	yaml_parser_t p;
	yaml_event_t e;
	int done = 0, n = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)src, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &e))
			return -1;
		done = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
		n++;
	}
	yaml_parser_delete(&p);
	return n;
}

static void make_input(struct buf *b, int values)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned seed = 1;
	int i, k;
	buf_adds(b, "apiVersion: v1\nkind: List\nitems:\n");
	for (i = 0; i < values / 10; i++) {
		buf_addf(b,
		         "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: secret-%d\n    "
		         "namespace: ns\n"
		         "  type: Opaque\n  data:\n",
		         i);
		for (k = 0; k < 6; k++) {
			buf_addf(b, "    key%d: ", k);
			for (int c = 0; c < 240; c++) {
				seed = seed * 1103515245 + 12345;
				buf_addc(b, b64[(seed >> 16) & 63]);
			}
			buf_adds(b, "\n");
		}
	}
}

#define BEST(var, runs, code)                                                                      \
	do {                                                                                       \
		var = 1e9;                                                                         \
		for (int r_ = 0; r_ < (runs); r_++) {                                              \
			double t_ = now_ms();                                                      \
			code;                                                                      \
			t_ = now_ms() - t_;                                                        \
			if (t_ < var)                                                              \
				var = t_;                                                          \
		}                                                                                  \
	} while (0)

int main(int argc, char **argv)
{
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10;
	struct buf in = BUF_INIT(1 << 30), out = BUF_INIT(1 << 30);
	struct doc_stream s = DOC_STREAM_INIT;
	struct doc_emit_opts k8s = DOC_EMIT_OPTS_INIT, sops = { 4, DOC_EMIT_SEQ_INDENT },
	                     json = DOC_EMIT_OPTS_INIT;
	double t_ly, t_parse, t_secret, t_yaml, t_sops, t_json, t_free, t_jparse;

	make_input(&in, 20000);
	if (argc > 2) {
		/* one phase only, for `perf stat -e instructions:u` (steady under load) */
		for (int r = 0; r < runs; r++) {
			if (!strcmp(argv[2], "libyaml")) {
				libyaml_events(in.p, in.len);
			} else if (!strcmp(argv[2], "jparse")) {
				if (!r && doc_parse(&s, "b", in.p, in.len, 0, NULL) == 0) {
					buf_reset(&out);
					doc_emit_json(&out, s.docs[0], &json);
					doc_stream_release(&s);
				}
				if (doc_parse(&s, "b.json", out.p, out.len, DOC_PARSE_JSON, NULL) ==
				    0)
					doc_stream_release(&s);
			} else if (strcmp(argv[2], "jparse") &&
			           doc_parse(&s, "bench.yaml", in.p, in.len, 0, NULL) == 0 &&
			           strcmp(argv[2], "parse")) {
				buf_reset(&out);
				if (!strcmp(argv[2], "yaml"))
					doc_emit_yaml(&out, s.docs[0], &k8s);
				else
					doc_emit_json(&out, s.docs[0], &json);
			}
			doc_stream_release(&s);
		}
		return 0;
	}
	printf("input: %.2f MiB, %d values\n", in.len / 1048576.0, 20000);
	BEST(t_ly, runs, if (libyaml_events(in.p, in.len) < 0) return 1);
	BEST(t_parse, runs, doc_parse(&s, "bench.yaml", in.p, in.len, 0, NULL);
	     doc_stream_release(&s));
	BEST(t_secret, runs, doc_parse(&s, "bench.yaml", in.p, in.len, DOC_PARSE_SECRET, NULL);
	     doc_stream_release(&s));
	if (doc_parse(&s, "bench.yaml", in.p, in.len, 0, NULL) < 0) {
		fprintf(stderr, "%s\n", gs_error_last());
		return 1;
	}
	BEST(t_yaml, runs, buf_reset(&out); doc_emit_yaml(&out, s.docs[0], &k8s));
	if (out.len != in.len || memcmp(out.p, in.p, in.len)) {
		fprintf(stderr, "round trip differs\n");
		return 1;
	}
	BEST(t_sops, runs, buf_reset(&out); doc_emit_yaml(&out, s.docs[0], &sops));
	BEST(t_json, runs, buf_reset(&out); doc_emit_json(&out, s.docs[0], &json));
	doc_stream_release(&s);
	/* the same tree as JSON, read back with the native JSON reader */
	BEST(t_jparse, runs, doc_parse(&s, "bench.json", out.p, out.len, DOC_PARSE_JSON, NULL);
	     doc_stream_release(&s));
	BEST(t_free, 1, doc_parse(&s, "bench.yaml", in.p, in.len, 0, NULL); t_ = now_ms();
	     doc_stream_release(&s));
	printf("libyaml events only   %7.2f ms\n", t_ly);
	printf("doc_parse             %7.2f ms\n", t_parse);
	printf("doc_parse secret      %7.2f ms\n", t_secret);
	printf("doc_emit_yaml k8s     %7.2f ms\n", t_yaml);
	printf("doc_emit_yaml sops    %7.2f ms\n", t_sops);
	printf("doc_emit_json         %7.2f ms\n", t_json);
	printf("doc_stream_release    %7.2f ms\n", t_free);
	printf("doc_parse JSON        %7.2f ms  (the same tree as %.2f MiB of JSON)\n", t_jparse,
	       out.len / 1048576.0);
	printf("ratio: doc_parse / libyaml events = %.2f  (goal <= 1.2)\n", t_parse / t_ly);
	printf("ratio: doc_emit_yaml / libyaml events = %.2f  (goal < 1)\n", t_yaml / t_ly);
	buf_release(&in);
	buf_release(&out);
	return 0;
}
