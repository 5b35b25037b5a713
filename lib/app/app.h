#ifndef GS_APP_H
#define GS_APP_H
/*
 * Application manifests: `kind: Application`, apiVersion gitseal.dev/v1alpha1
 * (an Argo CD manifest's argoproj.io/v1alpha1 is read too, so a user can try
 * one before porting it). Field names are Argo CD's where Argo has the field,
 * Flux's where only Flux has it:
 *
 *   spec:
 *     source: {repoURL, targetRevision, path, chart, secretRef: {name},
 *              directory: {recurse, include, exclude},
 *              helm: {valueFiles, values, parameters: [{name, value, forceString}],
 *                     fileParameters: [{name, path}], releaseName, skipCrds,
 *                     kubeVersion, apiVersions, postRender}}
 *     decryption: {secretRef: {name}, requireEncrypted}
 *
 * One table lists every known field (path -> type); app_check() walks a
 * manifest against it and reports what the API server would silently drop
 * (an unknown field, with "did you mean" from its siblings) or reject (a wrong
 * type, a missing required field), each with file:line:col. The reconciler adds
 * its spec fields to the same table and generates the CRD's OpenAPI schema from
 * it (app_fields()), so the schema and these checks never disagree.
 *
 * Nothing here is secret, but inline helm values may be: messages never quote
 * a value.
 */
#include <stddef.h>

#include "core/buf.h"

struct doc;

/* --- the table of known fields ------------------------------------------------ */

enum app_type {
	APP_T_OBJECT, /* a map; its fields are the rows "PATH.child" */
	APP_T_LIST,   /* a list; its items are described by the row "PATH[]" */
	APP_T_STRING,
	APP_T_BOOL,
	APP_T_INT,
};
enum app_field_flags {
	APP_F_REQUIRED = 1 << 0,  /* must be present when its parent is */
	APP_F_FREEFORM = 1 << 1,  /* an object whose content is not checked (metadata, status) */
	APP_F_DURATION = 1 << 2,  /* a string in Go's time.Duration syntax ("5m", "1h30m") */
	APP_F_MULTILINE = 1 << 3, /* a string usually written as a block scalar (inline YAML) */
};
struct app_field {
	const char *path; /* "spec.source.helm.parameters[].name"; "[]" stands for any list index */
	enum app_type type;
	unsigned flags;
	const char *help; /* one line: the CRD schema's description */
};
/* Every known field in schema order (a parent before its children); n gets the count. */
const struct app_field *app_fields(size_t *n);
/* The row for a path with "[]" for indexes, or NULL. */
const struct app_field *app_field_find(const char *path);

/* --- checking ----------------------------------------------------------------- */

struct app_issue {
	const char *file; /* borrowed from the manifest's tree */
	unsigned line, col;
	char *msg; /* "unknown field spec.source.helm.valuesFile (did you mean valueFiles?)" */
};
struct app_issues {
	struct app_issue *v;
	size_t n, cap;
};
#define APP_ISSUES_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void app_issues_release(struct app_issues *r);

/*
 * Check a manifest against the table: apiVersion/kind, unknown fields, types,
 * required fields. Issues are appended to r (file names borrowed from obj).
 * Returns how many were added, or GS_ENOMEM.
 */
int app_check(struct app_issues *r, const struct doc *obj);

/* --- the parsed spec --------------------------------------------------------- */

struct app_helm_parameter {
	char *name, *value;
	int force_string;
};
struct app_helm_file_parameter {
	char *name, *path;
};
struct app_helm {
	char *
	    *value_files; /* relative to the chart, or to the repository root with a leading '/' */
	size_t nvalue_files;
	char *values; /* inline YAML, highest precedence after parameters */
	struct app_helm_parameter *parameters;
	size_t nparameters;
	struct app_helm_file_parameter *file_parameters;
	size_t nfile_parameters;
	char *release_name;
	int skip_crds;
	char *kube_version;
	char **api_versions;
	size_t napi_versions;
	char *post_render; /* a kustomization directory applied over the chart's output */
};
struct app_source {
	char *repo_url;
	char *target_revision; /* NULL: HEAD */
	char *path;            /* NULL: the repository root */
	char *chart;
	char *secret_ref; /* secretRef.name, read from the Application's namespace */
	int has_directory;
	struct {
		int recurse;
		char *include, *exclude;
	} directory;
	int has_helm;
	struct app_helm helm;
};
struct app_decryption {
	char *secret_ref; /* secretRef.name: entries ending in .agekey */
	int require_encrypted;
};
/* spec.ignoreDifferences[] (Argo CD's shape; jqPathExpressions are not supported) */
struct app_ignore {
	char *group;     /* NULL or "": the core group */
	char *kind;      /* required */
	char *name;      /* NULL: any */
	char *namespace; /* NULL: any */
	char **pointers; /* RFC 6901 JSON pointers */
	size_t npointers;
};
/* spec.dependsOn[] */
struct app_dep {
	char *name;
	char *namespace; /* NULL: the Application's own */
};
#define APP_IN_CLUSTER "https://kubernetes.default.svc" /* destination.server of this cluster */
struct app {
	char *name, *namespace;
	char *file; /* the manifest's file, for messages */
	long long generation;
	struct app_source source;
	struct app_decryption decryption;
	/* the rest of the spec (the reconciler) */
	struct {
		char *server;    /* NULL: this cluster (unless name is set) */
		char *name;      /* a registered cluster's name */
		char *namespace; /* for objects that name none */
	} destination;
	char *service_account; /* spec.serviceAccountName */
	int automated;         /* spec.syncPolicy.automated is present */
	int prune, self_heal;  /* its fields */
	char **sync_options;   /* "Name=value", as written */
	size_t nsync_options;
	int create_namespace; /* syncOptions CreateNamespace=true */
	struct app_ignore *ignore;
	size_t nignore;
	double interval; /* seconds; 0: not given */
	double timeout;  /* seconds; 0: not given */
	struct app_dep *depends_on;
	size_t ndepends_on;
	int suspend;
};

/*
 * Parse an Application. Every issue app_check() finds is an error: GS_EPARSE
 * with the first one ("app.yaml:7:7: unknown field spec.source.helm.valuesFile
 * (did you mean valueFiles?)", then "(and N more)"). So are values the schema
 * cannot express: a project other than "default", an unknown sync option, a
 * negative or zero interval, a JSON pointer that does not start with '/'.
 */
int app_parse(struct app **out, const struct doc *obj);
void app_free(struct app *a); /* NULL is fine */

/*
 * Read a manifest file (YAML or JSON, "-" = stdin) and parse the one
 * Application in it (other kinds are skipped; none or several is an error).
 */
int app_load_file(struct app **out, const char *path);

/* Whether a cluster is this one: destination.server empty or APP_IN_CLUSTER, and no name (or the
 * name "in-cluster", Argo CD's). */
int app_in_cluster(const struct app *a);

/* --- the CRD ------------------------------------------------------------------ */

/*
 * The CustomResourceDefinition applications.gitseal.dev, generated from the
 * field table: structural OpenAPI v3 schema (every field typed, descriptions
 * from the help lines, required lists, a pattern on durations, status kept as
 * written), the status subresource, printer columns Sync, Health, Revision,
 * Age, short names app and apps. deploy/base/crds/applications.yaml is
 * this, as YAML (`make crd` writes it; a unit test checks they agree).
 */
int app_crd(struct doc **out);
/* The CRD as the committed file holds it (a header comment, then the YAML). */
int app_crd_yaml(struct buf *out);

#endif
