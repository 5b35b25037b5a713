/*
 * .sops.yaml creation rules against what they will encrypt: a rule whose regex leaves a
 * Secret's data or stringData in plaintext, a Secret that the rule would encrypt only in
 * part, and a file the rule names that was never encrypted. No keys, no I/O: the caller
 * (gitseal check) finds the rule that applies to each file.
 */
#include <string.h>

#include "doc/doc.h"
#include "sealer/inspect/inspect_int.h"
#include "sealer/sops/sops.h"

static int plain_leaf(const struct doc *n)
{
	size_t len;
	const char *s;
	if (doc_kind(n) == DOC_NULL || (doc_kind(n) == DOC_STR && doc_len(n) == 0))
		return 0;
	s = doc_text(n, &len);
	return !(doc_kind(n) == DOC_STR && sops_is_encrypted_value(s, len));
}

struct rule_walk {
	struct inspect_walk w;
	const struct sops_rules *rules;
	int want; /* 1: leaves the rule encrypts; 0: data/stringData leaves it leaves alone */
	size_t count;
	const struct doc *first; /* the first such leaf */
	struct buf path;         /* and its path */
};

static int rule_leaf(struct inspect_walk *w, const struct doc *n)
{
	struct rule_walk *rw = (struct rule_walk *)w;
	const char *keys[INSPECT_MAX_DEPTH];
	size_t lens[INSPECT_MAX_DEPTH], nk;

	if (!plain_leaf(n))
		return 0;
	if (!rw->want) {
		const struct inspect_comp *c = &w->comp[0];
		if (w->depth < 2 || !c->key ||
		    !((c->len == 4 && !memcmp(c->key, "data", 4)) ||
		      (c->len == 10 && !memcmp(c->key, "stringData", 10))))
			return 0;
	}
	nk = inspect__keys(w, keys, lens);
	if (sops_rules_encrypts(rw->rules, keys, lens, nk) != rw->want)
		return 0;
	if (!rw->count++) {
		rw->first = n;
		inspect__path(w, &rw->path);
	}
	return 0;
}

static void rule_walk_run(struct rule_walk *rw, const struct doc *obj,
                          const struct sops_rules *rules, int want)
{
	memset(rw, 0, sizeof(*rw));
	rw->w.leaf = rule_leaf;
	rw->w.skip_top = "sops";
	rw->rules = rules;
	rw->want = want;
	buf_init(&rw->path, 4096, 0);
	inspect__walk(&rw->w, obj);
}

static const char *rule_value(const struct sops_rules *r)
{
	return r->value ? r->value : "";
}

int inspect_rule_document(struct inspect_report *r, const struct doc *obj,
                          const struct inspect_rule *rule, int named_by_path)
{
	struct rule_walk rw;
	char desc[512];
	int rc = 0;

	if (doc_kind(obj) != DOC_MAP || doc_get(obj, "sops") || !rule->rules)
		return 0;
	/* the comment rules decide from comments, which the tree does not keep */
	if (rule->rules->kind >= SOPS_RULE_UNENCRYPTED_COMMENT_REGEX)
		return 0;
	inspect__describe(desc, sizeof(desc), obj);
	if (inspect__is_secret(obj)) {
		rule_walk_run(&rw, obj, rule->rules, 0);
		if (rw.count)
			rc = inspect_report_add(
			    r, INSPECT_SOPS_RULE_UNENCRYPTED_DATA, rule->file, rule->line,
			    rule->col,
			    "%s has %s '%s': encrypting %s (%s:%u) with it would leave %s%s in "
			    "plaintext",
			    rule->desc, sops_rule_key(rule->rules->kind), rule_value(rule->rules),
			    desc, doc_file(obj) ? doc_file(obj) : "-", doc_line(rw.first),
			    rw.path.p, rw.count > 1 ? " and other values" : "");
		buf_release(&rw.path);
		return rc;
	}
	/* a Kubernetes object other than a Secret (a ConfigMap, a Deployment) is not a secret file
	 */
	if (!named_by_path || (doc_k8s_kind(obj) && doc_get(obj, "apiVersion")))
		return 0;
	rule_walk_run(&rw, obj, rule->rules, 1);
	if (rw.count)
		rc = inspect_report_add(
		    r, INSPECT_SOPS_FILE_NOT_ENCRYPTED, doc_file(rw.first), doc_line(rw.first),
		    doc_start(rw.first).col,
		    "%s: %s names this file, but it is not SOPS-encrypted: %s "
		    "and %zu other value%s it encrypts are plaintext (gitseal sops encrypt -i)",
		    desc, rule->desc, rw.path.p, rw.count - 1, rw.count == 2 ? "" : "s");
	buf_release(&rw.path);
	return rc;
}

int inspect_rule_secret_fields(struct inspect_report *r, const struct inspect_rule *rule)
{
	static const char *const fields[2] = { "data", "stringData" };
	const char *keys[2];
	size_t lens[2];
	int left[2], i;

	if (!rule->rules || (rule->rules->kind != SOPS_RULE_ENCRYPTED_REGEX &&
	                     rule->rules->kind != SOPS_RULE_UNENCRYPTED_REGEX))
		return 0;
	for (i = 0; i < 2; i++) {
		keys[0] = fields[i];
		lens[0] = strlen(fields[i]);
		keys[1] = "x"; /* any key of the Secret */
		lens[1] = 1;
		left[i] = !sops_rules_encrypts(rule->rules, keys, lens, 2);
	}
	if (!left[0] && !left[1])
		return 0;
	return inspect_report_add(
	    r, INSPECT_SOPS_RULE_UNENCRYPTED_DATA, rule->file, rule->line, rule->col,
	    "%s has %s '%s', which leaves a Secret's %s unencrypted: use encrypted_regex "
	    "'^(data|stringData)$'",
	    rule->desc, sops_rule_key(rule->rules->kind), rule_value(rule->rules),
	    left[0] && left[1] ? "data and stringData"
	    : left[0]          ? "data"
	                       : "stringData");
}
