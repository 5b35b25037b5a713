/*
 * Kustomize: the exec kustomizer (`kustomize build DIR` or `kubectl kustomize
 * DIR`), the walk over a kustomization's directories and generator files, and
 * the generator hook with its staged copy.
 *
 * The walk reads what the hook needs and nothing else: resources, components
 * and (legacy) bases that are directories of the tree, and the envs / env /
 * files of configMapGenerator and secretGenerator entries. Remote resources
 * (URLs) are left to Kustomize, which finds no network here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

#define WALK_DIRS_MAX 1000
#define KUSTOMIZATION_MAX ((size_t)4 << 20)

static const char *const kus_names[] = { "kustomization.yaml", "kustomization.yml",
	                                 "Kustomization" };

/* ---- the exec kustomizer ---------------------------------------------------------------- */

/*
 * After `kubectl kustomize` failed: a kubectl older than 1.27 (Debian 12's is 1.20)
 * carries a kustomize that rejects labels, components and the patches list, so its
 * error ("json: unknown field \"labels\"") says nothing useful. Name the version and
 * what to use instead. Leaves the message alone when the version cannot be read.
 */
static int kubectl_too_old(struct render__ctx *c, const char *tool, int rc)
{
	struct buf out = BUF_INIT((size_t)1 << 16), msg = BUF_INIT(8192);
	const char *argv[] = { tool, "version", "--client", "-o", "json", NULL };
	struct render__cmd cmd;
	struct doc *d = NULL, *cv;
	const char *major, *minor, *git;
	char *end;
	long mj, mn;
	int said = 0;

	buf_adds(&msg, gs_error_last());
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.what = "kubectl version";
	if (render__run(c, &cmd, &out) < 0 ||
	    doc_parse_one(&d, "kubectl version", out.p, out.len, DOC_PARSE_JSON) < 0)
		goto out;
	cv = doc_get(d, "clientVersion");
	major = doc_str(doc_get(cv, "major"));
	minor = doc_str(doc_get(cv, "minor"));
	git = doc_str(doc_get(cv, "gitVersion"));
	if (!major || !minor)
		goto out;
	mj = strtol(major, &end, 10);
	mn = strtol(minor, &end, 10); /* "20" or "20+" */
	if (mj != 1 || end == minor || mn >= 27)
		goto out;
	rc = gs_error(
	    rc,
	    "%s (kubectl %s is too old for Kustomize: name kubectl >= 1.27 with --kubectl or "
	    "GITSEAL_KUBECTL, or kustomize with GITSEAL_KUSTOMIZE)",
	    msg.p, git ? git : minor);
	said = 1;
out:
	if (!said)
		gs_error(rc, "%s", msg.p); /* as it was: the version run may have replaced it */
	doc_free(d);
	buf_release(&out);
	buf_release(&msg);
	return rc;
}

static int exec_build(struct render__ctx *c, const char *root, const char *dir, const char *name,
                      unsigned parse_flags, struct doc_list *out)
{
	struct buf text = BUF_INIT(c->output_max);
	const char *tool, *argv[5];
	char *abs = NULL, *cut = NULL, what[512];
	struct render__cmd cmd;
	int kubectl = 0, rc, i = 0;

	if ((rc = render__tool(c, 0, &tool, &kubectl)) < 0)
		return rc;
	buf_init(&text, c->output_max, (parse_flags & DOC_PARSE_SECRET) != 0);
	if (!(abs = dir[0] ? render__join(root, dir) : strdup(root)) ||
	    !(cut = render__join(root, ""))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	argv[i++] = tool;
	argv[i++] = kubectl ? "kustomize" : "build";
	argv[i++] = abs;
	argv[i] = NULL;
	snprintf(what, sizeof(what), "%s: kustomize", name);
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.what = what;
	cmd.cut = cut;
	cmd.secret_out = (parse_flags & DOC_PARSE_SECRET) != 0;
	if ((rc = render__run(c, &cmd, &text)) < 0) {
		if (kubectl)
			rc = kubectl_too_old(c, tool, rc);
		goto out;
	}
	rc = doc_read_manifests(out, name, text.p, text.len,
	                        parse_flags | DOC_MANIFEST_REQUIRE_KIND);
	if (rc < 0)
		gs_error_prefix(rc, "kustomize output");
out:
	buf_release(&text);
	free(abs);
	free(cut);
	return rc < 0 ? rc : 0;
}

const struct render__kustomizer render__kustomize_exec = { "exec", exec_build };

/* ---- the walk --------------------------------------------------------------------------- */

struct strv {
	char **v;
	size_t n, cap;
};

static int strv_has(const struct strv *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 1;
	return 0;
}

/* Add x (taken) unless present. */
static int strv_add(struct strv *s, char *x)
{
	if (strv_has(s, x)) {
		free(x);
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv) {
			free(x);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_remote(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "github.com/", 11) || !strncmp(s, "git@", 4) ||
	       strstr(s, "?ref=");
}

/* The kustomization file of dir (from the root), or NULL. */
static char *kustomization_file(struct render__ctx *c, const char *dir)
{
	for (size_t i = 0; i < sizeof(kus_names) / sizeof(kus_names[0]); i++) {
		char *f = render__join(dir, kus_names[i]);
		if (!f || render__is_file(c, f))
			return f;
		free(f);
	}
	return NULL;
}

/* A generator's file entry: "path" or "key=path" (files), "path" (envs). */
static int add_generator_file(struct render__ctx *c, struct strv *files, const char *dir,
                              const char *kfile, const struct doc *entry, int keyed)
{
	const char *s = doc_str(entry), *eq;
	char *rel = NULL;
	int rc;

	if (!s)
		return gs_error(GS_EPARSE, "%s:%u: a generator file must be a string", kfile,
		                doc_line(entry));
	if (keyed && (eq = strchr(s, '=')))
		s = eq + 1;
	if (is_remote(s))
		return 0;
	if ((rc = render__resolve(&rel, c, dir, s, "generator file")) < 0)
		return gs_error_prefix(rc, "%s:%u", kfile, doc_line(entry));
	if (!render__is_file(c, rel)) {
		/* a directory (files: [dir/]) or a missing file: Kustomize decides, with its own
		 * message */
		free(rel);
		return 0;
	}
	return strv_add(files, rel);
}

static int walk_generators(struct render__ctx *c, struct strv *files, const char *dir,
                           const char *kfile, const struct doc *gens)
{
	size_t i, j;
	int rc;

	for (i = 0; i < doc_len(gens) && doc_kind(gens) == DOC_SEQ; i++) {
		const struct doc *g = doc_val_at(gens, i), *v;
		if ((v = doc_get(g, "env")) &&
		    (rc = add_generator_file(c, files, dir, kfile, v, 0)) < 0)
			return rc;
		v = doc_get(g, "envs");
		for (j = 0; doc_kind(v) == DOC_SEQ && j < doc_len(v); j++)
			if ((rc = add_generator_file(c, files, dir, kfile, doc_val_at(v, j), 0)) <
			    0)
				return rc;
		v = doc_get(g, "files");
		for (j = 0; doc_kind(v) == DOC_SEQ && j < doc_len(v); j++)
			if ((rc = add_generator_file(c, files, dir, kfile, doc_val_at(v, j), 1)) <
			    0)
				return rc;
	}
	return 0;
}

static int walk(struct render__ctx *c, const char *dir, struct strv *dirs, struct strv *files)
{
	static const char *const refs[] = { "resources", "components", "bases" };
	struct buf text = BUF_INIT(KUSTOMIZATION_MAX);
	struct doc *k = NULL;
	char *kfile = NULL, *d;
	size_t i, j;
	int rc = 0;

	if (strv_has(dirs, dir))
		return 0;
	if (dirs->n >= WALK_DIRS_MAX)
		return gs_error(GS_ETOOBIG, "%s: more than %d kustomization directories",
		                c->app[0] ? c->app : ".", WALK_DIRS_MAX);
	if (!(d = strdup(dir)) || (rc = strv_add(dirs, d)) < 0)
		return rc < 0 ? rc : gs_error(GS_ENOMEM, "out of memory");
	if (!(kfile = kustomization_file(c, dir)))
		return 0; /* a directory of plain files is fine as a resource in newer Kustomize */
	if ((rc = render__read_file(c, kfile, &text)) < 0 ||
	    (rc = doc_parse_one(&k, kfile, text.p, text.len, 0)) < 0)
		goto out;
	if (doc_kind(k) != DOC_MAP) {
		rc = gs_error(GS_EPARSE, "%s:%u: a kustomization must be a mapping", kfile,
		              doc_line(k));
		goto out;
	}
	if (files &&
	    ((rc = walk_generators(c, files, dir, kfile, doc_get(k, "configMapGenerator"))) < 0 ||
	     (rc = walk_generators(c, files, dir, kfile, doc_get(k, "secretGenerator"))) < 0))
		goto out;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		const struct doc *list = doc_get(k, refs[i]);
		for (j = 0; doc_kind(list) == DOC_SEQ && j < doc_len(list); j++) {
			const struct doc *e = doc_val_at(list, j);
			const char *s = doc_str(e);
			char *rel = NULL;
			if (!s || is_remote(s))
				continue;
			if ((rc = render__resolve(&rel, c, dir, s, refs[i])) < 0) {
				gs_error_prefix(rc, "%s:%u", kfile, doc_line(e));
				goto out;
			}
			if (render__is_dir(c, rel))
				rc = walk(c, rel, dirs, files);
			free(rel);
			if (rc < 0)
				goto out;
		}
	}
out:
	doc_free(k);
	free(kfile);
	buf_release(&text);
	return rc;
}

int render__kustomize_walk(struct render__ctx *c, const char *dir, char ***dirs, size_t *ndirs,
                           char ***files, size_t *nfiles)
{
	struct strv d = { NULL, 0, 0 }, f = { NULL, 0, 0 };
	int rc;

	*dirs = NULL;
	*ndirs = 0;
	if (files) {
		*files = NULL;
		*nfiles = 0;
	}
	if ((rc = walk(c, dir, &d, files ? &f : NULL)) < 0) {
		render__strv_free(d.v, d.n);
		render__strv_free(f.v, f.n);
		return rc;
	}
	qsort(d.v, d.n, sizeof(*d.v), cmp_str);
	*dirs = d.v;
	*ndirs = d.n;
	if (files) {
		*files = f.v;
		*nfiles = f.n;
	}
	return 0;
}

/* ---- the hook and the staged copy ------------------------------------------------------- */

struct replacement {
	char *rel;
	struct buf data; /* secret */
};

/* Copy each directory once: skip those inside one already copied (dirs are sorted). */
static int stage_dirs(struct render__ctx *c, struct render__stage *st, char **dirs, size_t n)
{
	const char *kept = NULL;
	size_t i, kl = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if (kept &&
		    (!kl || (!strncmp(dirs[i], kept, kl) && (dirs[i][kl] == '/' || !dirs[i][kl]))))
			continue;
		if ((rc = render__stage_copy_dir(c, st, dirs[i])) < 0)
			return rc;
		kept = dirs[i];
		kl = strlen(kept);
	}
	return 0;
}

int render__kustomize_dir(struct render__ctx *c, const char *dir, struct doc_list *out)
{
	const struct render__kustomizer *k = &render__kustomize_exec;
	struct render__stage st = RENDER__STAGE_INIT;
	struct replacement *rep = NULL;
	char **dirs = NULL, **files = NULL;
	size_t ndirs = 0, nfiles = 0, nrep = 0, i;
	const char *name = dir[0] ? dir : ".";
	int rc = 0;

	/* the walk also reports a broken kustomization file with its line, before any tool runs */
	if ((rc = render__kustomize_walk(c, dir, &dirs, &ndirs, c->opts->hook ? &files : NULL,
	                                 &nfiles)) < 0)
		goto out;
	if (nfiles && !(rep = calloc(nfiles, sizeof(*rep)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nfiles; i++) {
		struct buf in = BUF_INIT_SECRET(c->output_max);
		struct replacement *r = &rep[nrep];
		buf_init(&r->data, c->output_max, 1);
		if ((rc = render__read_file(c, files[i], &in)) >= 0 &&
		    (rc = c->opts->hook(c->opts->hook_arg, files[i], in.p, in.len, &r->data)) > 0) {
			r->rel = files[i];
			files[i] = NULL;
			nrep++;
		} else {
			buf_release(&r->data);
		}
		buf_release(&in);
		if (rc < 0)
			goto out;
	}
	if (!nrep) {
		rc = k->build(c, c->root, dir, name, 0, out);
		goto out;
	}
	/* plaintext: Kustomize reads a copy in memory, wiped whatever happens next */
	if ((rc = render__stage_new(c, &st)) < 0 || (rc = stage_dirs(c, &st, dirs, ndirs)) < 0)
		goto out;
	for (i = 0; i < nrep; i++)
		if ((rc = render__stage_write(&st, rep[i].rel, rep[i].data.p, rep[i].data.len)) < 0)
			goto out;
	rc = k->build(c, st.dir, dir, name, DOC_PARSE_SECRET, out);
out:
	render__stage_wipe(&st);
	for (i = 0; i < nrep; i++) {
		free(rep[i].rel);
		buf_release(&rep[i].data);
	}
	free(rep);
	render__strv_free(dirs, ndirs);
	render__strv_free(files, nfiles);
	return rc < 0 ? rc : 0;
}

int render__kustomize(struct render__ctx *c, struct doc_list *out)
{
	return render__kustomize_dir(c, c->app, out);
}
