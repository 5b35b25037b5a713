#ifndef GS_RENDER_H
#define GS_RENDER_H
/*
 * render: one application path of a revision tree -> one ordered list of
 * Kubernetes objects (struct doc, each knowing the file and line it came from)
 * plus warnings. The second stage of the pipeline (source -> render -> decrypt
 * -> apply); it reads a directory, never Git, and never writes into it.
 *
 * What renders is decided as Argo CD decides it, at the app path:
 *   kustomization.yaml | kustomization.yml | Kustomization  -> Kustomize
 *   Chart.yaml                                              -> Helm
 *   anything else                                           -> plain manifests
 * and a source with `chart` set renders that chart from its repository (an
 * index.yaml Helm repository or an oci:// registry) instead of the tree.
 *
 * Plain manifests: *.yaml, *.yml and *.json files of the app path (all
 * subdirectories with directory.recurse), in byte order of their paths, every
 * document an object with apiVersion and kind (else an error naming the file
 * and line). Skipped: names starting with '.' (.git, .sops.yaml, .github),
 * what `.gitsealignore` at the tree root ignores (gitignore syntax, paths
 * from the tree root), what directory.exclude matches and, for files, what
 * directory.include does not (gitignore syntax plus `{a,b}`, paths from the
 * app path). *.jsonnet files are not rendered: a warning names them.
 *
 * Kustomize runs `kustomize build` (opts.tools.kustomize) or `kubectl
 * kustomize`; Helm runs `helm template` (never install). Both are child
 * processes (posix_spawn, no shell) in their own process group, killed at the
 * deadline, with a cap on their output, stdin from /dev/null, a clean
 * environment (PATH, LANG, HOME and helm's cache/config/data dirs in a private
 * 0700 directory, HTTP(S)_PROXY at a closed loopback port: no network), and
 * their stderr turned into the error message, with the tree's absolute path
 * cut so that files read relative to it. Renderers are behind one internal
 * interface (render_int.h): a native Kustomize renderer slots in there.
 *
 * Helm: value files relative to the chart, or to the tree root with a leading
 * '/', never outside the tree; inline values, parameters (--set /
 * --set-string with forceString), file parameters (--set-file, relative to
 * the chart), release name (default: the app name, else the chart's name),
 * CRDs included unless skipCrds, kubeVersion, apiVersions. Dependencies are
 * used as vendored in charts/ (a Chart.lock or Chart.yaml dependency missing
 * from charts/ is an error naming it): only a `chart` source reaches a chart
 * repository. Hooks (helm.sh/hook) are dropped as `--no-hooks` would and a
 * warning lists them. postRender names a kustomization directory of the tree
 * applied over the chart's output: the output is written into a private copy
 * of that directory as `helm-output.yaml` and added to its resources.
 * Objects carry the file of their `# Source:` comment, as a path in the tree
 * (my-chart/templates/deployment.yaml).
 *
 * Generator hook (the decrypt stage's): before Kustomize runs, every file that
 * a configMapGenerator or secretGenerator reads (`envs`, `env`, `files`), in
 * the kustomization and, recursively, the directories of its resources and
 * components, is handed to the hook with its path from the tree root. When the
 * hook replaces any, the kustomizations' directories are copied into a 0700
 * directory under opts.tmpdir (default /dev/shm: memory, never persistent
 * disk), the replacements written there, Kustomize run on the copy, and the
 * copy overwritten with zeros and removed on every path (error, deadline,
 * child killed by a signal). The output is then parsed as DOC_PARSE_SECRET.
 * (A post-render kustomization's generators are not handed to the hook.)
 *
 * Thread-safe: renders may run concurrently (each has its own private
 * directory and children). The process must not reap children it did not
 * start (no waitpid(-1) / SIGCHLD set to SIG_IGN): render waits for its own. Errors: GS_EPARSE bad
 * input (a file:line), GS_EIO a tool failed or could not run, GS_ETOOBIG output or a file over its
 * cap, GS_ENOTFOUND a path, chart or version that is not there, GS_EINVAL a bad spec (a path
 * leaving the tree).
 */
#include <stddef.h>

#include "core/buf.h"
#include "doc/doc.h"

/* Argo CD's spec.source.directory */
struct render_directory {
	int recurse;
	const char *include; /* glob (gitignore syntax + {a,b}); NULL: every manifest file */
	const char *exclude; /* glob; NULL: none */
};

struct render_helm_param {
	const char *name, *value;
	int force_string; /* --set-string instead of --set */
};

struct render_helm_file_param {
	const char *name, *path; /* --set-file name=path, path relative to the chart */
};

/* Argo CD's spec.source.helm (+ postRender) */
struct render_helm {
	const char *const
	    *value_files; /* relative to the chart, or to the tree root with a leading '/' */
	size_t nvalue_files;
	const char *values; /* inline YAML, after the value files */
	const struct render_helm_param *params;
	size_t nparams;
	const struct render_helm_file_param *file_params;
	size_t nfile_params;
	const char *release_name; /* NULL: the source's name, else the chart's */
	int skip_crds;
	const char *kube_version; /* "1.20.2" */
	const char *const *api_versions;
	size_t napi_versions;
	const char *post_render; /* a kustomization directory of the tree, from its root */
};

/* What to render: the part of an Application's spec.source that render reads. */
struct render_source {
	const char *root; /* the revision tree (read only) */
	const char *path; /* the app path inside it ("" or "." for the root) */
	const char *name; /* the Application's name (Helm's default release name); may be NULL */
	const char
	    *namespace; /* the destination namespace (helm --namespace; kustomize ignores it) */
	struct render_directory directory;
	struct render_helm helm;
	/* a chart source: chart + repo_url (https://... index.yaml repository or oci://host/path)
	 */
	const char *chart;
	const char *repo_url;
	const char
	    *chart_version; /* targetRevision: an exact version; NULL or "" or "*": the newest */
};

/* The renderers' paths. NULL: $GITSEAL_HELM / $GITSEAL_KUBECTL / $GITSEAL_KUSTOMIZE, else
 * "helm" / "kubectl" / none, looked up in PATH. Debian's kubectl 1.20 is too old for Kustomize. */
struct render_tools {
	const char *helm;
	const char *kubectl;
	const char *kustomize; /* `kustomize build` instead of `kubectl kustomize` when set */
};

/*
 * The decrypt stage's hook for generator files: relpath is from the tree
 * root, data the file's bytes. Return 1 after writing the replacement into out
 * (a BUF_INIT_SECRET buffer the render owns and wipes), 0 to keep the file, or
 * a negative GS_E* code (message set, no secret in it) to fail the render.
 */
typedef int (*render_file_hook)(void *arg, const char *relpath, const char *data, size_t len,
                                struct buf *out);

struct render_opts {
	struct render_tools tools;
	long timeout_ms;    /* per tool run; 0 = 90 s (Argo CD's exec timeout) */
	size_t output_max;  /* cap on a tool's output and on one manifest file; 0 = 64 MiB */
	const char *tmpdir; /* in-memory directory for private dirs and staged copies; NULL =
	                       $GITSEAL_RENDER_TMPDIR, else /dev/shm */
	const char
	    *cache_dir; /* chart downloads, by digest; NULL = $XDG_CACHE_HOME/gitseal/charts or
	                   ~/.cache/gitseal/charts */
	int chart_plain_http;  /* oci:// registry over http:// (tests, local registries) */
	render_file_hook hook; /* NULL: generator files are used as they are */
	void *hook_arg;
};
#define RENDER_OPTS_INIT                                                                           \
	{                                                                                          \
		{ NULL, NULL, NULL }, 0, 0, NULL, NULL, 0, NULL, NULL                              \
	}

enum render_kind { RENDER_PLAIN, RENDER_KUSTOMIZE, RENDER_HELM };

struct render_result {
	struct doc_list objs; /* the objects, in render order */
	char *
	    *warnings; /* nwarnings messages ("my-chart: helm hooks not applied: Job/db-migrate") */
	size_t nwarnings;
	enum render_kind kind;
};
#define RENDER_RESULT_INIT                                                                         \
	{                                                                                          \
		DOC_LIST_INIT, NULL, 0, RENDER_PLAIN                                               \
	}

/* Which renderer the app path gets (no tool runs). */
int render_detect(enum render_kind *out, const struct render_source *src);
const char *render_kind_name(enum render_kind k);

/* Render src into out (which must be RENDER_RESULT_INIT); on failure out stays empty. */
int render(struct render_result *out, const struct render_source *src,
           const struct render_opts *opts);
void render_result_release(struct render_result *r);

#endif
