/*
 * render-run: a small driver of lib/render for the shell suites in
 * tests/render and the benchmark tests/bench/b61-render.sh (not a product
 * command: `gitseal build` is). Prints every object as "# file:line" and its
 * YAML, warnings on stderr as "warning: ...", an error as "error: ..." with
 * exit 1.
 *
 *   render-run [options] ROOT [PATH]
 *
 * The test hook: --hook-replace REL=FILE gives the generator file REL the
 * bytes of FILE; --hook-fail REL makes the hook fail on REL; --hook-log FILE
 * appends each path the hook is called with.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/file.h"
#include "doc/doc.h"
#include "render/render.h"

#define MAXN 64

struct hook {
	const char *replace[MAXN];
	size_t nreplace;
	const char *fail;
	const char *log;
};

static int test_hook(void *arg, const char *rel, const char *data, size_t len, struct buf *out)
{
	struct hook *h = arg;
	size_t i, n = strlen(rel);

	(void)data;
	(void)len;
	if (h->log) {
		FILE *f = fopen(h->log, "a");
		if (f) {
			fprintf(f, "%s\n", rel);
			fclose(f);
		}
	}
	if (h->fail && !strcmp(h->fail, rel))
		return gs_error(GS_EAUTH, "%s: the test hook refuses it", rel);
	for (i = 0; i < h->nreplace; i++) {
		const char *r = h->replace[i];
		if (!strncmp(r, rel, n) && r[n] == '=') {
			int rc = file_read(out, r + n + 1);
			return rc < 0 ? rc : 1;
		}
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "helm", 1, 0, 'H' },          { "kubectl", 1, 0, 'K' },
		{ "kustomize", 1, 0, 'Z' },     { "timeout-ms", 1, 0, 't' },
		{ "output-max", 1, 0, 'm' },    { "tmpdir", 1, 0, 'T' },
		{ "cache-dir", 1, 0, 'C' },     { "recurse", 0, 0, 'r' },
		{ "include", 1, 0, 'i' },       { "exclude", 1, 0, 'x' },
		{ "values", 1, 0, 'f' },        { "set", 1, 0, 's' },
		{ "set-string", 1, 0, 'S' },    { "set-file", 1, 0, 'F' },
		{ "values-inline", 1, 0, 'V' }, { "release", 1, 0, 'R' },
		{ "skip-crds", 0, 0, 'c' },     { "kube-version", 1, 0, 'k' },
		{ "api-versions", 1, 0, 'a' },  { "post-render", 1, 0, 'P' },
		{ "chart", 1, 0, 'h' },         { "repo", 1, 0, 'u' },
		{ "version", 1, 0, 'v' },       { "plain-http", 0, 0, 'p' },
		{ "namespace", 1, 0, 'n' },     { "name", 1, 0, 'N' },
		{ "hook-replace", 1, 0, 'e' },  { "hook-fail", 1, 0, 'E' },
		{ "hook-log", 1, 0, 'L' },      { "quiet", 0, 0, 'q' },
		{ "repeat", 1, 0, 'X' },        { 0, 0, 0, 0 }
	};
	struct render_source src;
	struct render_opts opts = RENDER_OPTS_INIT;
	struct render_result res = RENDER_RESULT_INIT;
	struct render_helm_param params[MAXN];
	struct render_helm_file_param fparams[MAXN];
	const char *values[MAXN], *apis[MAXN];
	struct hook hook = { { 0 }, 0, NULL, NULL };
	struct buf out = BUF_INIT((size_t)1 << 30);
	int c, quiet = 0, repeat = 1, rc = 0, use_hook = 0;
	size_t np = 0, nfp = 0, nv = 0, na = 0, i;
	double best = 0;

	memset(&src, 0, sizeof(src));
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *eq;
		switch (c) {
		case 'H': opts.tools.helm = optarg; break;
		case 'K': opts.tools.kubectl = optarg; break;
		case 'Z': opts.tools.kustomize = optarg; break;
		case 't': opts.timeout_ms = strtol(optarg, NULL, 10); break;
		case 'm': opts.output_max = (size_t)strtol(optarg, NULL, 10); break;
		case 'T': opts.tmpdir = optarg; break;
		case 'C': opts.cache_dir = optarg; break;
		case 'r': src.directory.recurse = 1; break;
		case 'i': src.directory.include = optarg; break;
		case 'x': src.directory.exclude = optarg; break;
		case 'f':
			if (nv < MAXN)
				values[nv++] = optarg;
			break;
		case 's':
		case 'S':
			if (np < MAXN && (eq = strchr(optarg, '='))) {
				*eq = '\0';
				params[np].name = optarg;
				params[np].value = eq + 1;
				params[np++].force_string = c == 'S';
			}
			break;
		case 'F':
			if (nfp < MAXN && (eq = strchr(optarg, '='))) {
				*eq = '\0';
				fparams[nfp].name = optarg;
				fparams[nfp++].path = eq + 1;
			}
			break;
		case 'V': src.helm.values = optarg; break;
		case 'R': src.helm.release_name = optarg; break;
		case 'c': src.helm.skip_crds = 1; break;
		case 'k': src.helm.kube_version = optarg; break;
		case 'a':
			if (na < MAXN)
				apis[na++] = optarg;
			break;
		case 'P': src.helm.post_render = optarg; break;
		case 'h': src.chart = optarg; break;
		case 'u': src.repo_url = optarg; break;
		case 'v': src.chart_version = optarg; break;
		case 'p': opts.chart_plain_http = 1; break;
		case 'n': src.namespace = optarg; break;
		case 'N': src.name = optarg; break;
		case 'e':
			if (hook.nreplace < MAXN)
				hook.replace[hook.nreplace++] = optarg;
			use_hook = 1;
			break;
		case 'E':
			hook.fail = optarg;
			use_hook = 1;
			break;
		case 'L':
			hook.log = optarg;
			use_hook = 1;
			break;
		case 'q': quiet = 1; break;
		case 'X':
			repeat =
			    (int)strtol(optarg, NULL, 10) > 0 ? (int)strtol(optarg, NULL, 10) : 1;
			break;
		default: fprintf(stderr, "usage: render-run [options] ROOT [PATH]\n"); return 2;
		}
	}
	if (optind < argc)
		src.root = argv[optind++];
	if (optind < argc)
		src.path = argv[optind++];
	if (!src.root && !src.chart) {
		fprintf(stderr, "usage: render-run [options] ROOT [PATH]\n");
		return 2;
	}
	src.helm.params = params;
	src.helm.nparams = np;
	src.helm.file_params = fparams;
	src.helm.nfile_params = nfp;
	src.helm.value_files = values;
	src.helm.nvalue_files = nv;
	src.helm.api_versions = apis;
	src.helm.napi_versions = na;
	if (use_hook) {
		opts.hook = test_hook;
		opts.hook_arg = &hook;
	}
	for (int r = 0; r < repeat; r++) {
		double t0 = now_ms(), dt;
		render_result_release(&res);
		if ((rc = render(&res, &src, &opts)) < 0)
			break;
		dt = now_ms() - t0;
		if (!r || dt < best)
			best = dt;
	}
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", gs_error_last());
		buf_release(&out);
		return 1;
	}
	for (i = 0; i < res.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", res.warnings[i]);
	if (repeat > 1)
		fprintf(stderr, "render: %zu objects, best of %d: %.2f ms\n", res.objs.n, repeat,
		        best);
	if (!quiet) {
		struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
		for (i = 0; i < res.objs.n && rc >= 0; i++) {
			const struct doc *o = res.objs.objs[i];
			if ((rc = buf_addf(&out, "---\n# %s:%u\n", doc_file(o), doc_line(o))) >= 0)
				rc = doc_emit_yaml(&out, o, &eo);
		}
		if (rc < 0) {
			fprintf(stderr, "error: %s\n", gs_error_last());
			rc = 1;
		} else {
			fwrite(out.p, 1, out.len, stdout);
			printf("# %s: %zu objects\n", render_kind_name(res.kind), res.objs.n);
			rc = 0;
		}
	}
	render_result_release(&res);
	buf_release(&out);
	return rc < 0 ? 1 : rc;
}
