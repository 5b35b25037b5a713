/*
 * One file, checked as committed: which checks apply is decided by its name
 * (.sops.yaml, YAML/JSON, anything a creation rule names) and its documents
 * (Secret, SealedSecret, SOPS, Application, kustomization). The .sops.yaml that
 * applies to a file is the nearest one above it, read once per directory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "check/check_int.h"
#include "core/error.h"
#include "doc/doc.h"

/* Files over this are not read (a manifest is far smaller). */
#define CHECK_FILE_MAX ((size_t)32 << 20)

void check_report_release(struct check_report *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].msg);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int add_v(struct check_report *r, enum inspect_code code, const char *file, unsigned line,
                 unsigned col, char *msg)
{
	struct check_finding *f;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct check_finding *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			free(msg);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		r->v = v;
		r->cap = cap;
	}
	f = &r->v[r->n];
	if (!(f->file = strdup(file ? file : "-"))) {
		free(msg);
		return gs_error(GS_ENOMEM, "out of memory");
	}
	f->code = inspect_code_name(code);
	f->line = line;
	f->col = col;
	f->msg = msg;
	r->n++;
	return 0;
}

int check__add(struct check_report *r, enum inspect_code code, const char *file, unsigned line,
               unsigned col, const char *fmt, ...)
{
	struct buf msg = BUF_INIT(8192);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	return add_v(r, code, file, line, col, buf_detach(&msg, NULL));
}

int check__take(struct check_report *r, struct inspect_report *ir, const char *name)
{
	size_t i;
	int rc = 0;
	for (i = 0; i < ir->n && rc >= 0; i++) {
		/* a finding placed in another file (a .sops.yaml rule) keeps that file's name */
		const char *file =
		    ir->v[i].file && strcmp(ir->v[i].file, name) ? ir->v[i].file : name;
		rc = add_v(r, ir->v[i].code, file, ir->v[i].line, ir->v[i].col, ir->v[i].msg);
		ir->v[i].msg = NULL;
	}
	inspect_report_release(ir);
	return rc;
}

int check__has_sops_marker(const char *data, size_t len)
{
	static const char *const marks[] = { "mac: ENC[", "\"mac\": \"ENC[", "sops_mac=ENC[",
		                             "[sops]", NULL };
	size_t i;
	for (i = 0; marks[i]; i++)
		if (memmem(data, len, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

/* "a/b/x.yaml" -> "x.yaml" */
static const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

static int ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcmp(s + n - m, suf);
}

static int is_manifest_name(const char *base)
{
	return ends_with(base, ".yaml") || ends_with(base, ".yml") || ends_with(base, ".json");
}

/* --- .sops.yaml, once per directory ------------------------------------------------- */

void check__ctx_init(struct check_ctx *c, const struct check_opts *o,
                     const struct check__source *src)
{
	memset(c, 0, sizeof(*c));
	c->opts = o;
	c->src = *src;
	c->root_name = "";
}

static void config_release(struct check__config *cf)
{
	size_t i;
	for (i = 0; i < cf->nrules; i++) {
		sops_rules_release(&cf->rules[i].path_re);
		sops_rules_release(&cf->rules[i].rules);
	}
	free(cf->rules);
	free(cf->dir);
	free(cf->file);
	free(cf->name);
	free(cf->error);
}

void check__ctx_release(struct check_ctx *c)
{
	size_t i;
	for (i = 0; i < c->nconfigs; i++)
		config_release(&c->configs[i]);
	free(c->configs);
	c->configs = NULL;
	c->nconfigs = c->capconfigs = 0;
}

/* The rules of a loaded config, compiled; a regex that does not compile is the config's error. */
static int config_rules(struct check__config *cf, const struct sops_config *conf)
{
	size_t i;
	if (!conf->nrules)
		return 0;
	if (!(cf->rules = calloc(conf->nrules, sizeof(*cf->rules))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < conf->nrules; i++) {
		const struct sops_creation_rule *cr = &conf->rules[i];
		struct check__rule *r = &cf->rules[i];
		enum sops_rule_kind kind =
		    cr->rule_kind != SOPS_RULE_NONE ? cr->rule_kind : SOPS_RULE_UNENCRYPTED_SUFFIX;
		cf->nrules++;
		r->line = cr->line;
		r->col = cr->col;
		r->by_path = cr->path_regex && *cr->path_regex;
		if (r->by_path)
			snprintf(r->desc, sizeof(r->desc), "%s creation rule %zu (path_regex '%s')",
			         cf->name, i + 1, cr->path_regex);
		else
			snprintf(r->desc, sizeof(r->desc), "%s creation rule %zu (any file)",
			         cf->name, i + 1);
		if (r->by_path &&
		    sops_rules_set(&r->path_re, SOPS_RULE_ENCRYPTED_REGEX, cr->path_regex) < 0) {
			if (!cf->error &&
			    asprintf(&cf->error, "%s:%u: creation_rules[%zu].path_regex: %s",
			             cf->name, cr->line, i, gs_error_last()) < 0)
				cf->error = NULL;
			gs_error_clear();
			r->by_path = -1; /* never matches */
			continue;
		}
		if (sops_rules_set(&r->rules, kind,
		                   cr->rule_kind != SOPS_RULE_NONE ? cr->rule_value
		                                                   : "_unencrypted") < 0) {
			if (!cf->error && asprintf(&cf->error, "%s:%u: creation_rules[%zu]: %s",
			                           cf->name, cr->line, i, gs_error_last()) < 0)
				cf->error = NULL;
			gs_error_clear();
			continue;
		}
		r->rules.mac_only_encrypted = cr->mac_only_encrypted;
		r->rules_ok = 1;
	}
	return 0;
}

/* The config of one directory (dir from the root, "" the root): loaded once, NULL file if none. */
static struct check__config *config_for_dir(struct check_ctx *c, const char *dir)
{
	struct buf text = BUF_INIT((size_t)4 << 20), path = BUF_INIT(8192);
	struct sops_config conf;
	struct check__config *cf;
	size_t i;
	int rc;

	for (i = 0; i < c->nconfigs; i++)
		if (!strcmp(c->configs[i].dir, dir))
			return &c->configs[i];
	if (c->nconfigs == c->capconfigs) {
		size_t cap = c->capconfigs ? 2 * c->capconfigs : 16;
		struct check__config *v = realloc(c->configs, cap * sizeof(*v));
		if (!v)
			return NULL;
		c->configs = v;
		c->capconfigs = cap;
	}
	cf = &c->configs[c->nconfigs];
	memset(cf, 0, sizeof(*cf));
	if (!(cf->dir = strdup(dir)))
		return NULL;
	c->nconfigs++;
	buf_addf(&path, "%s%s.sops.yaml", dir, *dir ? "/" : "");
	rc = c->src.read(c->src.arg, path.p, &text);
	if (rc == GS_ENOTFOUND) {
		gs_error_clear();
		goto out;
	}
	cf->file = strdup(path.p);
	if (asprintf(&cf->name, "%s%s", c->root_name, path.p) < 0)
		cf->name = NULL;
	if (!cf->file || !cf->name)
		goto out;
	if (rc < 0) {
		if (asprintf(&cf->error, "%s", gs_error_last()) < 0)
			cf->error = NULL;
		gs_error_clear();
		goto out;
	}
	if (sops_config_parse(&conf, cf->name, text.p, text.len) < 0) {
		if (asprintf(&cf->error, "%s", gs_error_last()) < 0)
			cf->error = NULL;
		gs_error_clear();
		goto out;
	}
	config_rules(cf, &conf);
	sops_config_release(&conf);
out:
	buf_release(&text);
	buf_release(&path);
	return cf;
}

/* The nearest config above rel, or NULL. */
static const struct check__config *config_of(struct check_ctx *c, const char *rel)
{
	char dir[4096];
	const struct check__config *cf;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", rel);
	for (;;) {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		else
			dir[0] = 0;
		if ((cf = config_for_dir(c, dir)) && cf->file)
			return cf;
		if (!dir[0])
			return NULL;
	}
}

/* The first creation rule that matches rel (as sops picks it), or NULL. */
static const struct check__rule *rule_for(struct check_ctx *c, const char *rel)
{
	const struct check__config *cf = config_of(c, rel);
	const char *p = rel;
	size_t i, dl;

	if (!cf)
		return NULL;
	dl = strlen(cf->dir);
	if (dl)
		p = rel + dl + 1; /* path_regex sees the path from the config's directory */
	for (i = 0; i < cf->nrules; i++) {
		const struct check__rule *r = &cf->rules[i];
		if (r->by_path < 0)
			continue;
		if (!r->by_path || sops_rules_match_text(&r->path_re, p, strlen(p)))
			return r->rules_ok ? r : NULL;
	}
	return NULL;
}

int check__wanted(struct check_ctx *c, const char *rel)
{
	const char *base = base_of(rel);
	const struct check__rule *r;
	if (!strcmp(base, ".sops.yaml") || is_manifest_name(base))
		return 1;
	r = rule_for(c, rel);
	return r && r->by_path > 0;
}

/* --- .sops.yaml itself ------------------------------------------------------------------- */

/* Does a rule's path_regex name manifests at all (not only .env, .ini, keys)? */
static int rule_for_manifests(const struct check__rule *r)
{
	static const char *const manifests[] = { "x.yaml",     "x.yml",           "x.json",
		                                 "a/b/x.yaml", "secret.enc.yaml", NULL };
	static const char *const others[] = { "x.env", "a/b/x.env", "x.ini", "x.txt",
		                              "x.key", "x.pem",     NULL };
	size_t i;
	if (!r->by_path)
		return 1;
	for (i = 0; manifests[i]; i++)
		if (sops_rules_match_text(&r->path_re, manifests[i], strlen(manifests[i])))
			return 1;
	for (i = 0; others[i]; i++)
		if (sops_rules_match_text(&r->path_re, others[i], strlen(others[i])))
			return 0;
	return 1;
}

/* "file:12:" at the start of a message naming file: 12 (the message keeps its text) */
static unsigned line_in(const char *msg, const char *file)
{
	size_t n = strlen(file);
	if (!strncmp(msg, file, n) && msg[n] == ':' && msg[n + 1] >= '0' && msg[n + 1] <= '9')
		return (unsigned)strtoul(msg + n + 1, NULL, 10);
	return 0;
}

static int check_config_file(struct check_ctx *c, struct check_report *r, const char *name,
                             const char *rel)
{
	struct inspect_report ir = INSPECT_REPORT_INIT;
	const struct check__config *cf;
	char dir[4096], *slash;
	size_t i;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		dir[0] = 0;
	if (!(cf = config_for_dir(c, dir)) || !cf->file)
		return 0;
	if (cf->error)
		rc = check__add(r, INSPECT_SOPS_CONFIG_INVALID, name,
		                cf->name ? line_in(cf->error, cf->name) : 0, 0, "%s", cf->error);
	for (i = 0; i < cf->nrules && rc >= 0; i++) {
		struct inspect_rule ir_rule;
		if (!cf->rules[i].rules_ok || !rule_for_manifests(&cf->rules[i]))
			continue;
		ir_rule.rules = &cf->rules[i].rules;
		ir_rule.file = name;
		ir_rule.line = cf->rules[i].line;
		ir_rule.col = cf->rules[i].col;
		ir_rule.desc = cf->rules[i].desc;
		rc = inspect_rule_secret_fields(&ir, &ir_rule);
	}
	if (rc >= 0)
		rc = check__take(r, &ir, name);
	inspect_report_release(&ir);
	return rc;
}

/* --- kustomizations: what their secretGenerators read ------------------------------------- */

/* dir + "/" + p with "." and ".." resolved; 0, or -1 when it leaves the root. */
static int join_path(char *out, size_t len, const char *dir, const char *p)
{
	char tmp[4096], *parts[512], *save = NULL, *t;
	size_t n = 0, i, pos = 0;

	if (p[0] == '/')
		return -1;
	snprintf(tmp, sizeof(tmp), "%s%s%s", dir, *dir ? "/" : "", p);
	for (t = strtok_r(tmp, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (!n)
				return -1;
			n--;
			continue;
		}
		if (n == sizeof(parts) / sizeof(parts[0]))
			return -1;
		parts[n++] = t;
	}
	out[0] = 0;
	for (i = 0; i < n && pos < len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? "/" : "", parts[i]);
	return pos < len ? 0 : -1;
}

static int is_kustomization(const struct doc *obj, const char *rel)
{
	const char *base = base_of(rel), *av = doc_str(doc_get(obj, "apiVersion"));
	if (!strcmp(base, "kustomization.yaml") || !strcmp(base, "kustomization.yml") ||
	    !strcmp(base, "Kustomization"))
		return 1;
	return av && !strncmp(av, "kustomize.config.k8s.io/", 24) && doc_k8s_kind(obj) &&
	       !strcmp(doc_k8s_kind(obj), "Kustomization");
}

/* One file a secretGenerator reads (files: [key=]path, envs:, env:): it must be SOPS-encrypted. */
static int generator_source(struct check_ctx *c, struct check_report *r, const char *name,
                            const char *dir, const char *gen, const struct doc *entry)
{
	struct buf data = BUF_INIT_SECRET(CHECK_FILE_MAX);
	const char *p = doc_str(entry), *eq;
	char path[4096];
	int rc;

	if (!p || !*p)
		return 0;
	if ((eq = strchr(p, '=')))
		p = eq + 1;
	if (join_path(path, sizeof(path), dir, p) < 0)
		return 0;
	rc = c->src.read(c->src.arg, path, &data);
	if (rc < 0) {
		gs_error_clear(); /* not there: kustomize says so, not a leak */
		rc = 0;
	} else if (!check__has_sops_marker(data.p, data.len)) {
		rc = check__add(r, INSPECT_UNENCRYPTED_SECRET, name, doc_start(entry).line,
		                doc_start(entry).col,
		                "secretGenerator '%s' reads %s, which is neither SOPS-encrypted "
		                "nor sealed: its values "
		                "are committed in plaintext (gitseal sops encrypt -i %s%s)",
		                gen, p, c->root_name, path);
	}
	buf_release(&data);
	return rc;
}

static int check_kustomization(struct check_ctx *c, struct check_report *r, const char *name,
                               const char *rel, const struct doc *obj)
{
	const struct doc *gens = doc_get(obj, "secretGenerator");
	char dir[4096], *slash;
	size_t i, j;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s", rel);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		dir[0] = 0;
	for (i = 0; doc_kind(gens) == DOC_SEQ && i < doc_len(gens) && rc >= 0; i++) {
		const struct doc *g = doc_val_at(gens, i), *l;
		const char *gname =
		    doc_str(doc_get(g, "name")) ? doc_str(doc_get(g, "name")) : "(no name)";
		static const char *const lists[] = { "files", "envs" };
		size_t k;
		for (k = 0; k < 2; k++) {
			l = doc_get(g, lists[k]);
			for (j = 0; doc_kind(l) == DOC_SEQ && j < doc_len(l) && rc >= 0; j++)
				rc = generator_source(c, r, name, dir, gname, doc_val_at(l, j));
		}
		if (rc >= 0 && doc_kind(doc_get(g, "env")) == DOC_STR)
			rc = generator_source(c, r, name, dir, gname, doc_get(g, "env"));
		l = doc_get(g, "literals");
		for (j = 0; doc_kind(l) == DOC_SEQ && j < doc_len(l) && rc >= 0; j++) {
			const struct doc *lit = doc_val_at(l, j);
			const char *s = doc_str(lit);
			size_t klen = s ? strcspn(s, "=") : 0;
			rc = check__add(r, INSPECT_UNENCRYPTED_SECRET, name, doc_start(lit).line,
			                doc_start(lit).col,
			                "secretGenerator '%s' has the literal '%.*s': a plaintext "
			                "value in the kustomization "
			                "(put it in a SOPS-encrypted file)",
			                gname, (int)(klen > 200 ? 200 : klen), s ? s : "");
		}
	}
	return rc;
}

/* --- manifests -------------------------------------------------------------------------- */

static int is_application(const struct doc *obj)
{
	const char *av = doc_str(doc_get(obj, "apiVersion")), *kind = doc_k8s_kind(obj);
	/* an Argo CD Application has Argo's own fields: only ours is checked against our CRD */
	return av && kind && !strncmp(av, "gitseal.dev/", 12) && !strcmp(kind, "Application");
}

struct manifest_ctx {
	struct check_ctx *c;
	struct check_report *r;
	struct inspect_report ir;
	const char *name, *rel;
	const struct check__rule *rule;
	int has_sops;
	unsigned sops_line;
};

static int check_object(struct manifest_ctx *m, const struct doc *obj)
{
	int rc;

	if ((rc = inspect_object(&m->ir, obj, INSPECT_COMMITTED)) < 0)
		return rc;
	if (doc_get(obj, "sops") && !m->has_sops) {
		m->has_sops = 1;
		m->sops_line = doc_line(doc_get(obj, "sops"));
	}
	if (m->rule) {
		struct inspect_rule rl;
		const struct check__config *cf = config_of(m->c, m->rel);
		rl.rules = &m->rule->rules;
		rl.file = cf ? cf->name : "";
		rl.line = m->rule->line;
		rl.col = m->rule->col;
		rl.desc = m->rule->desc;
		if ((rc = inspect_rule_document(&m->ir, obj, &rl, m->rule->by_path > 0)) < 0)
			return rc;
	}
	if (is_application(obj)) {
		struct app_issues ai = APP_ISSUES_INIT;
		size_t i;
		rc = app_check(&ai, obj);
		for (i = 0; rc >= 0 && i < ai.n; i++)
			rc = check__add(m->r, INSPECT_APPLICATION_FIELD, m->name, ai.v[i].line,
			                ai.v[i].col, "Application %s: %s",
			                doc_k8s_name(obj) ? doc_k8s_name(obj) : "(no name)",
			                ai.v[i].msg);
		app_issues_release(&ai);
		if (rc < 0)
			return rc;
	}
	if (is_kustomization(obj, m->rel) &&
	    (rc = check_kustomization(m->c, m->r, m->name, m->rel, obj)) < 0)
		return rc;
	return check__sealed_keys(m->c, m->r, m->name, obj);
}

/* Every object of a document: a List's items, or the document itself. */
static int check_document(struct manifest_ctx *m, const struct doc *d)
{
	const char *kind = doc_k8s_kind(d);
	const struct doc *items = doc_get(d, "items");
	size_t i;
	int rc;

	if (doc_kind(d) != DOC_MAP)
		return 0;
	if (kind && ends_with(kind, "List") && doc_kind(items) == DOC_SEQ) {
		for (i = 0; i < doc_len(items); i++)
			if ((rc = check_document(m, doc_val_at(items, i))) < 0)
				return rc;
		return 0;
	}
	return check_object(m, d);
}

static int check_manifests(struct check_ctx *c, struct check_report *r, const char *name,
                           const char *rel, const char *data, size_t len)
{
	struct doc_stream s = DOC_STREAM_INIT;
	struct manifest_ctx m;
	size_t i = 0;
	unsigned flags = DOC_PARSE_SECRET;
	int rc;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i < len && data[i] == '{' && ends_with(rel, ".json"))
		flags |= DOC_PARSE_JSON;
	if (doc_parse(&s, name, data, len, flags, NULL) < 0) {
		const char *msg = gs_error_last();
		unsigned line = line_in(msg, name);
		rc = check__add(r, INSPECT_PARSE_ERROR, name, line, 0, "%s", msg);
		gs_error_clear();
		return rc;
	}
	memset(&m, 0, sizeof(m));
	m.c = c;
	m.r = r;
	m.name = name;
	m.rel = rel;
	m.rule = rule_for(c, rel);
	for (i = 0, rc = 0; i < s.n && rc >= 0; i++)
		rc = check_document(&m, s.docs[i]);
	if (rc >= 0)
		rc = check__take(r, &m.ir, name);
	if (rc >= 0 && m.has_sops)
		rc = check__sops_keys(c, r, name, data, len,
		                      (flags & DOC_PARSE_JSON) ? SOPS_FMT_JSON : SOPS_FMT_YAML,
		                      m.sops_line);
	inspect_report_release(&m.ir);
	doc_stream_release(&s);
	return rc;
}

/* --- other files: only those a creation rule names --------------------------------------- */

static int check_other(struct check_ctx *c, struct check_report *r, const char *name,
                       const char *rel, const char *data, size_t len)
{
	const struct check__rule *rule = rule_for(c, rel);
	enum sops_format fmt = sops_format_for_path(rel);
	struct sops_file f;
	size_t n = 1;

	if (!rule || rule->by_path <= 0)
		return 0;
	if (check__has_sops_marker(data, len))
		return check__sops_keys(c, r, name, data, len, fmt, 0);
	if (!len)
		return 0;
	if (fmt == SOPS_FMT_DOTENV || fmt == SOPS_FMT_INI) {
		/* only the values the rule encrypts count (dotenv/ini keys are the path) */
		memset(&f, 0, sizeof(f));
		if (sops_file_load_plain(&f, name, data, len, fmt) == 0 &&
		    sops_rules_set(&f.meta.rules, rule->rules.kind, rule->rules.value) == 0)
			sops_file_selected(&f, 0, &n);
		gs_error_clear();
		sops_file_release(&f);
	}
	if (!n)
		return 0;
	return check__add(
	    r, INSPECT_SOPS_FILE_NOT_ENCRYPTED, name, 0, 0,
	    "%s names this file, but it is not SOPS-encrypted (gitseal sops encrypt -i %s)",
	    rule->desc, name);
}

int check__file(struct check_ctx *c, struct check_report *r, const char *name, const char *rel,
                const char *data, size_t len)
{
	const char *base = base_of(rel);

	r->files++;
	if (!strcmp(base, ".sops.yaml"))
		return check_config_file(c, r, name, rel);
	if (is_manifest_name(base))
		return check_manifests(c, r, name, rel, data, len);
	return check_other(c, r, name, rel, data, len);
}
