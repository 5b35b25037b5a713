/*
 * gitseal kube: a small kubectl-like front end on lib/kube, for users and for tests.
 *
 *   gitseal kube [--kubeconfig F] [--context C] [-n NS] [--server URL] [--token T]
 *                [--insecure-skip-tls-verify] VERB ...
 *   get KIND NAME [-o yaml|json]          list KIND [-l SEL] [-A] [-o name|yaml|json]
 *   apply -f FILE [--field-manager M] [--force-conflicts] [--dry-run] [-o yaml|json]
 *   create -f FILE [--dry-run]            delete KIND NAME | -f FILE [--cascade=...]
 * [--ignore-not-found] watch KIND [-A] [--resource-version RV] [--timeout S]      raw PATH (GET,
 * body to stdout)
 *
 * KIND is "Kind" for common kinds (Secret, ConfigMap, Namespace, Lease, SealedSecret, ...) or
 * "apiVersion/Kind" ("apps/v1/Deployment", "v1/Secret"). Exit 0 ok, 1 failure, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "doc/doc.h"
#include "kube/kube.h"

struct kube_cli {
	struct kube_overrides ov;
	const char *file, *output, *selector, *field_manager, *rv, *cascade;
	int all_ns, force, dry_run, ignore_not_found, timeout;
	struct kube_client *kc;
};

static const struct {
	const char *kind, *api_version;
} known[] = {
	{ "Secret", "v1" },
	{ "ConfigMap", "v1" },
	{ "Namespace", "v1" },
	{ "ServiceAccount", "v1" },
	{ "Event", "v1" },
	{ "Pod", "v1" },
	{ "Service", "v1" },
	{ "PodTemplate", "v1" },
	{ "Lease", "coordination.k8s.io/v1" },
	{ "Deployment", "apps/v1" },
	{ "CustomResourceDefinition", "apiextensions.k8s.io/v1" },
	{ "Role", "rbac.authorization.k8s.io/v1" },
	{ "RoleBinding", "rbac.authorization.k8s.io/v1" },
	{ "ClusterRole", "rbac.authorization.k8s.io/v1" },
	{ "ClusterRoleBinding", "rbac.authorization.k8s.io/v1" },
	{ "SealedSecret", "bitnami.com/v1alpha1" },
};

enum {
	O_KUBECONFIG = 256,
	O_CONTEXT,
	O_SERVER,
	O_TOKEN,
	O_INSECURE,
	O_FM,
	O_FORCE,
	O_DRY,
	O_CASCADE,
	O_IGNORE,
	O_RV,
	O_TIMEOUT
};

static const struct cli_opt kube_options[] = {
	{ "kubeconfig", O_KUBECONFIG, required_argument, "FILE",
	  "kubeconfig (default $KUBECONFIG, ~/.kube/config)" },
	{ "context", O_CONTEXT, required_argument, "NAME", "kubeconfig context" },
	{ "namespace", 'n', required_argument, "NS", "namespace" },
	{ "server", O_SERVER, required_argument, "URL", "API server" },
	{ "token", O_TOKEN, required_argument, "TOKEN", "bearer token (blanked in argv)" },
	{ "insecure-skip-tls-verify", O_INSECURE, no_argument, NULL,
	  "do not check the server's certificate" },
	{ "filename", 'f', required_argument, "FILE", "apply, create, delete: the manifests" },
	{ "output", 'o', required_argument, "name|yaml|json", "output format" },
	{ "selector", 'l', required_argument, "SELECTOR", "list: label selector" },
	{ "all-namespaces", 'A', no_argument, NULL, "list, watch: every namespace" },
	{ "field-manager", O_FM, required_argument, "M", "apply: field manager" },
	{ "force-conflicts", O_FORCE, no_argument, NULL,
	  "apply: take fields owned by other managers" },
	{ "dry-run", O_DRY, optional_argument, "server", "apply, create: server-side dry run" },
	{ "cascade", O_CASCADE, required_argument, "background|foreground|orphan",
	  "delete: propagation" },
	{ "ignore-not-found", O_IGNORE, no_argument, NULL, "delete: an absent object is fine" },
	{ "resource-version", O_RV, required_argument, "RV", "watch: from this resourceVersion" },
	{ "timeout", O_TIMEOUT, required_argument, "SECONDS", "watch: stop after SECONDS" },
	{ "help", 'h', no_argument, NULL, "this help" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct cli_command kube_verbs[] = {
	{ "get", NULL, "KIND NAME [-o yaml|json]: print one object" },
	{ "list", NULL, "KIND [-l SELECTOR] [-A] [-o name|yaml|json]" },
	{ "apply", NULL,
	  "-f FILE [--field-manager M] [--force-conflicts] [--dry-run] [-o name|yaml|json]" },
	{ "create", NULL, "-f FILE [--dry-run]: POST each document" },
	{ "delete", NULL,
	  "KIND NAME | -f FILE [--cascade=background|foreground|orphan] [--ignore-not-found]" },
	{ "watch", NULL,
	  "KIND [-A] [--resource-version RV] [--timeout SECONDS]: one line per event" },
	{ "raw", NULL, "PATH: GET PATH, the body to stdout" },
};

const struct cli_spec cmd_kube_spec = {
	.name = "kube",
	.usage = "[--kubeconfig FILE] [--context NAME] [-n NS] [--server URL] [--token T]\n"
	         "[--insecure-skip-tls-verify] <verb> ...",
	.about =
	    "A small kubectl-like front end on gitseal's Kubernetes client, for users and tests.",
	.opts = kube_options,
	.subs = kube_verbs,
	.nsubs = sizeof(kube_verbs) / sizeof(kube_verbs[0]),
	.more = "KIND: a common Kind (Secret, ConfigMap, Lease, ...) or apiVersion/Kind "
	        "(apps/v1/Deployment).",
};

/* "apps/v1/Deployment" -> ("apps/v1", "Deployment"); "Secret" -> ("v1", "Secret"). */
static int split_kind(char *av, size_t avn, const char **kind, const char *spec)
{
	const char *slash = strrchr(spec, '/');
	size_t i;
	if (slash) {
		if ((size_t)(slash - spec) >= avn || !slash[1])
			return gs_error(GS_EINVAL, "\"%s\": want Kind or apiVersion/Kind", spec);
		snprintf(av, avn, "%.*s", (int)(slash - spec), spec);
		*kind = slash + 1;
		return 0;
	}
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcasecmp(known[i].kind, spec)) {
			snprintf(av, avn, "%s", known[i].api_version);
			*kind = known[i].kind;
			return 0;
		}
	return gs_error(GS_EINVAL,
	                "unknown kind \"%s\": write it as apiVersion/Kind (e.g. apps/v1/%s)", spec,
	                spec);
}

static int print_doc(const struct doc *d, const char *output)
{
	struct doc_emit_opts eo = DOC_EMIT_OPTS_INIT;
	struct buf out = BUF_INIT_SECRET(KUBE_BODY_MAX);
	int rc;
	if (output && !strcmp(output, "json"))
		rc = doc_emit_json(&out, d, &eo);
	else
		rc = doc_emit_yaml(&out, d, &eo);
	if (rc == 0 && out.len && out.p[out.len - 1] != '\n')
		rc = buf_addc(&out, '\n');
	if (rc == 0)
		rc = file_write_all(1, out.p, out.len, "stdout");
	buf_release(&out);
	return rc;
}

static void print_name(const struct doc *d, const char *suffix)
{
	const char *kind = doc_str(doc_get(d, "kind"));
	char lower[128];
	size_t i;
	snprintf(lower, sizeof(lower), "%s", kind ? kind : "object");
	for (i = 0; lower[i]; i++)
		lower[i] = (char)(lower[i] >= 'A' && lower[i] <= 'Z' ? lower[i] + 32 : lower[i]);
	printf("%s/%s%s%s\n", lower, doc_k8s_name(d) ? doc_k8s_name(d) : "", suffix ? " " : "",
	       suffix ? suffix : "");
}

/* Every object of -f FILE (YAML or JSON, "-" = stdin; Lists flattened as kubectl does). */
static int read_docs(struct doc_stream *s, const char *file)
{
	struct buf text = BUF_INIT_SECRET(BUF_MAX_FILE);
	struct doc_list l = DOC_LIST_INIT;
	int rc;
	if ((rc = file_read(&text, file)) == 0 &&
	    (rc = doc_read_manifests(&l, strcmp(file, "-") ? file : "stdin", text.p, text.len,
	                             DOC_PARSE_SECRET)) >= 0) {
		s->docs = l.objs;
		s->n = l.n;
		rc = 0;
	}
	buf_release(&text);
	return rc;
}

static int do_files(struct kube_cli *c, const char *verb)
{
	struct doc_stream s = DOC_STREAM_INIT;
	size_t i;
	int rc;

	if (!c->file)
		return gs_error(GS_EINVAL, "%s: -f FILE is required", verb);
	if ((rc = read_docs(&s, c->file)) < 0)
		goto out;
	for (i = 0; i < s.n; i++) {
		struct doc *d = s.docs[i], *live = NULL;
		if (!d || doc_kind(d) == DOC_NULL)
			continue;
		if (!strcmp(verb, "apply")) {
			struct kube_apply_opts ao = KUBE_APPLY_OPTS_INIT;
			ao.field_manager = c->field_manager ? c->field_manager : "gitseal-cli";
			ao.force = c->force;
			ao.dry_run = c->dry_run;
			rc = kube_apply(&live, c->kc, d, &ao);
		} else if (!strcmp(verb, "create")) {
			struct kube_write_opts wo = KUBE_WRITE_OPTS_INIT;
			wo.dry_run = c->dry_run;
			rc = kube_create(&live, c->kc, d, &wo);
		} else {
			struct kube_delete_opts dopt = KUBE_DELETE_OPTS_INIT;
			dopt.dry_run = c->dry_run;
			dopt.propagation_policy = c->cascade;
			rc = kube_delete(c->kc, doc_str(doc_get(d, "apiVersion")),
			                 doc_str(doc_get(d, "kind")), doc_k8s_namespace(d),
			                 doc_k8s_name(d), &dopt);
			if (rc == GS_ENOTFOUND && c->ignore_not_found)
				rc = 0;
		}
		if (rc < 0) {
			gs_error_prefix(rc, "%s:%u", doc_file(d), doc_line(d));
			goto out;
		}
		if (live && c->output && strcmp(c->output, "name"))
			rc = print_doc(live, c->output);
		else
			print_name(live ? live : d,
			           !strcmp(verb, "apply")
			               ? (c->dry_run ? "serverside-applied (server dry run)"
			                             : "serverside-applied")
			           : !strcmp(verb, "create") ? "created"
			                                     : "deleted");
		doc_free(live);
		if (rc < 0)
			goto out;
	}
out:
	doc_stream_release(&s);
	return rc;
}

/* "TYPE NAME RV" per event; with -A (ctx non-NULL) NAME is namespace/name */
static int print_event(void *ctx, enum kube_event_type t, const struct doc *obj)
{
	if (t == KUBE_EVENT_SYNCED) {
		printf("SYNCED\n");
	} else {
		const char *rv = doc_str(doc_getp(obj, "metadata", "resourceVersion", NULL));
		const char *ns = doc_k8s_namespace(obj), *name = doc_k8s_name(obj);
		printf("%s %s%s%s %s\n", kube_event_type_name(t), ctx && ns ? ns : "",
		       ctx && ns ? "/" : "", name ? name : "-", rv ? rv : "-");
	}
	fflush(stdout);
	return 0;
}

/* A usage problem with the verb's arguments, or NULL. */
static const char *bad_args(const struct kube_cli *c, int n, char **pos)
{
	const char *v = pos[0];
	if (!strcmp(v, "apply") || !strcmp(v, "create"))
		return n != 1 ? "unexpected argument" : c->file ? NULL : "-f FILE is required";
	if (!strcmp(v, "delete"))
		return c->file ? (n == 1 ? NULL : "unexpected argument")
		               : (n == 3 ? NULL : "want KIND NAME or -f FILE");
	if (!strcmp(v, "get"))
		return n == 3 ? NULL : "want KIND NAME";
	if (!strcmp(v, "list") || !strcmp(v, "watch"))
		return n == 2 ? NULL : "want KIND";
	if (!strcmp(v, "raw"))
		return n == 2 ? NULL : "want PATH";
	return "unknown verb";
}

static int run_verb(struct kube_cli *c, int n, char **pos)
{
	const char *verb = pos[0], *kind = NULL;
	char av[256];
	struct doc *d = NULL;
	int rc = 0;

	if (!strcmp(verb, "apply") || !strcmp(verb, "create") ||
	    (!strcmp(verb, "delete") && c->file))
		return n == 1 ? do_files(c, verb)
		              : gs_error(GS_EINVAL, "%s: unexpected argument \"%s\"", verb, pos[1]);
	if (!strcmp(verb, "raw")) {
		struct buf out = BUF_INIT_SECRET(KUBE_BODY_MAX);
		struct kube_request rq = { "GET", n == 2 ? pos[1] : NULL, NULL, NULL, 0, 0 };
		if (n != 2)
			return gs_error(GS_EINVAL, "raw: want one PATH");
		if ((rc = kube_request(c->kc, &rq, &out)) >= 0)
			rc = file_write_all(1, out.p, out.len, "stdout");
		buf_release(&out);
		return rc < 0 ? rc : 0;
	}
	if (n < 2)
		return gs_error(GS_EINVAL, "%s: KIND is required", verb);
	if ((rc = split_kind(av, sizeof(av), &kind, pos[1])) < 0)
		return rc;
	if (!strcmp(verb, "get") || !strcmp(verb, "delete")) {
		if (n != 3)
			return gs_error(GS_EINVAL, "%s: want KIND NAME", verb);
		if (!strcmp(verb, "delete")) {
			struct kube_delete_opts dopt = KUBE_DELETE_OPTS_INIT;
			dopt.propagation_policy = c->cascade;
			dopt.dry_run = c->dry_run;
			rc = kube_delete(c->kc, av, kind, c->ov.ns, pos[2], &dopt);
			if (rc == 0)
				printf("%s \"%s\" deleted\n", kind, pos[2]);
			return rc == GS_ENOTFOUND && c->ignore_not_found ? 0 : rc;
		}
		if ((rc = kube_get(&d, c->kc, av, kind, c->ov.ns, pos[2])) == 0)
			rc = print_doc(d, c->output);
	} else if (!strcmp(verb, "list")) {
		struct kube_list_opts lo = KUBE_LIST_OPTS_INIT;
		lo.label_selector = c->selector;
		lo.all_namespaces = c->all_ns;
		if (n != 2)
			return gs_error(GS_EINVAL, "list: want KIND only");
		if ((rc = kube_list(&d, c->kc, av, kind, c->ov.ns, &lo)) == 0) {
			if (c->output && strcmp(c->output, "name"))
				rc = print_doc(d, c->output);
			else
				for (size_t i = 0; i < doc_len(doc_get(d, "items")); i++)
					print_name(doc_val_at(doc_get(d, "items"), i), NULL);
		}
	} else if (!strcmp(verb, "watch")) {
		struct kube_watch_opts wo = KUBE_WATCH_OPTS_INIT;
		struct kube_watch *w = NULL;
		if (n != 2)
			return gs_error(GS_EINVAL, "watch: want KIND only");
		wo.all_namespaces = c->all_ns;
		wo.resource_version = c->rv;
		wo.timeout_seconds = c->timeout;
		wo.label_selector = c->selector;
		if ((rc = kube_watch_new(&w, c->kc, av, kind, c->ov.ns, &wo)) == 0)
			rc = c->timeout ? kube_watch_once(w, print_event, c->all_ns ? c : NULL)
			                : kube_watch_run(w, print_event, c->all_ns ? c : NULL);
		kube_watch_free(w);
	} else {
		return gs_error(GS_EINVAL, "unknown verb \"%s\"", verb);
	}
	doc_free(d);
	return rc;
}

int cmd_kube(int argc, char **argv)
{
	struct cli_getopt g;
	struct kube_cli c = { .ov = KUBE_OVERRIDES_INIT };
	char *token = NULL;
	int ch, rc;

	cli_getopt_init(&g, kube_options);
	optind = 1;
	while ((ch = cli_getopt(&g, argc, argv)) != -1) {
		switch (ch) {
		case O_KUBECONFIG: c.ov.kubeconfig = optarg; break;
		case O_CONTEXT: c.ov.context = optarg; break;
		case 'n': c.ov.ns = optarg; break;
		case O_SERVER: c.ov.server = optarg; break;
		case O_TOKEN: /* keep a copy and blank argv, so ps does not show it for long (curl
		                 does this) */
			gs_free_secret_str(token);
			token = strdup(optarg);
			gs_wipe(optarg, strlen(optarg));
			c.ov.token = token;
			break;
		case O_INSECURE: c.ov.insecure_skip_tls_verify = 1; break;
		case 'f': c.file = optarg; break;
		case 'o': c.output = optarg; break;
		case 'l': c.selector = optarg; break;
		case 'A': c.all_ns = 1; break;
		case O_FM: c.field_manager = optarg; break;
		case O_FORCE: c.force = 1; break;
		case O_DRY:
			if (optarg && strcmp(optarg, "server") && strcmp(optarg, "All")) {
				fprintf(stderr, "error: --dry-run: only \"server\" is supported\n");
				gs_free_secret_str(token);
				return 2;
			}
			c.dry_run = 1;
			break;
		case O_CASCADE:
			c.cascade = !strcmp(optarg, "background")   ? "Background"
			            : !strcmp(optarg, "foreground") ? "Foreground"
			            : !strcmp(optarg, "orphan")     ? "Orphan"
			                                            : NULL;
			if (!c.cascade) {
				fprintf(
				    stderr,
				    "error: --cascade: want background, foreground or orphan\n");
				gs_free_secret_str(token);
				return 2;
			}
			break;
		case O_IGNORE: c.ignore_not_found = 1; break;
		case O_RV: c.rv = optarg; break;
		case O_TIMEOUT:
			if (cli_int_arg(&c.timeout, "timeout", optarg, 0, 1 << 30) < 0) {
				gs_free_secret_str(token);
				return 2;
			}
			break;
		case 'h':
			cli_usage(stdout, &cmd_kube_spec);
			gs_free_secret_str(token);
			return 0;
		default:
			cli_usage(stderr, &cmd_kube_spec);
			gs_free_secret_str(token);
			return 2;
		}
	}
	if (optind >= argc) {
		cli_usage(stderr, &cmd_kube_spec);
		gs_free_secret_str(token);
		return 2;
	}
	{
		const char *why = bad_args(&c, argc - optind, argv + optind);
		if (why) {
			fprintf(stderr, "error: %s: %s (see gitseal kube --help)\n", argv[optind],
			        why);
			gs_free_secret_str(token);
			return 2;
		}
	}
	if (c.output && strcmp(c.output, "yaml") && strcmp(c.output, "json") &&
	    strcmp(c.output, "name")) {
		fprintf(stderr, "error: -o: want yaml, json or name\n");
		gs_free_secret_str(token);
		return 2;
	}
	if ((rc = kube_client_from_env(&c.kc, &c.ov, NULL)) == 0)
		rc = run_verb(&c, argc - optind, argv + optind);
	rc = rc < 0 ? cli_die_last(NULL) : 0;
	kube_client_free(c.kc);
	gs_free_secret_str(token);
	return rc;
}
