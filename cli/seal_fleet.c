/*
 * gitseal seal for fleets and break-glass copies:
 *   --cluster-cert NAME=FILE|URL (repeatable) seals the input once per cluster into -w's path
 *     with {cluster} replaced by NAME (`-w 'out/{cluster}/db.yaml'`): one SealedSecret per
 *     cluster in one run, every certificate checked first;
 *   --backup-recipient age1... (repeatable) writes beside each SealedSecret file FILE.age, the
 *     input Secret age-encrypted (armored) to those recipients: an offline copy the operators
 *     can open if every cluster key is lost. Off by default: it is a second way to the secret,
 *     to be kept like the keys themselves.
 * All outputs are written together or not at all (core/file.h's file_set); missing directories
 * of the -w path are made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cmd_seal.h"
#include "core/file.h"
#include "sealer/age/age.h"

#define CERT_MAX ((size_t)1 << 20)

static int valid_name(const char *s, size_t n)
{
	size_t i;
	if (!n || (n <= 2 && s[0] == '.'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* tmpl with every {cluster} replaced by name */
static int out_path(struct buf *p, const char *tmpl, const char *name)
{
	const char *s = tmpl, *m;
	int rc = 0;
	while (rc >= 0 && (m = strstr(s, "{cluster}"))) {
		if ((rc = buf_add(p, s, (size_t)(m - s))) >= 0)
			rc = buf_adds(p, name);
		s = m + 9;
	}
	return rc < 0 ? rc : buf_adds(p, s);
}

/* mkdir -p of path's directory */
static int make_dirs(const char *path)
{
	char *d = strdup(path), *p;
	int rc = 0;
	if (!d)
		return gs_error(GS_ENOMEM, "out of memory");
	for (p = d + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			rc = gs_error(GS_EIO, "%s: %s", d, strerror(errno));
		*p = '/';
		if (rc < 0)
			break;
	}
	free(d);
	return rc;
}

/* Every Secret of the input sealed for pk, in kubeseal's layout. */
static int seal_all(struct buf *out, const struct seal_fleet_opts *o, const struct doc_list *l,
                    const struct sealed_pubkey *pk, int yaml)
{
	struct sealed_seal_opts so = o->so;
	size_t i, n = 0;
	int rc;
	for (i = 0; i < l->n; i++) {
		struct doc *ss = NULL;
		if (!l->objs[i])
			continue;
		so.what = seal_cli_what(o->in, i, l->n);
		if ((rc = sealed_seal_secret(&ss, l->objs[i], pk, &so)) < 0)
			return rc;
		rc = seal_cli_emit(out, ss, !yaml, 1);
		doc_free(ss);
		if (rc < 0)
			return rc;
		n++;
	}
	return n ? 0
	         : gs_error(GS_EPARSE,
	                    "no secrets found. Ensure the input is valid and UTF-8 encoded");
}

int seal_fleet(const struct seal_fleet_opts *o)
{
	struct buf text = BUF_INIT_SECRET(BUF_MAX_FILE), path = BUF_INIT(8192),
	           out = BUF_INIT(BUF_MAX_FILE), enc = BUF_INIT(BUF_MAX_FILE),
	           pem = BUF_INIT(CERT_MAX);
	struct doc_list l = DOC_LIST_INIT;
	struct age_recipient *rcpts[64] = { NULL };
	struct file_set *fs = NULL;
	struct sealed_pubkey **pks = NULL;
	size_t i, n = o->nclusters ? o->nclusters : 1;
	int rc;

	if (!o->out || !strcmp(o->out, "-")) {
		rc = gs_error(GS_EINVAL, "%s needs -w FILE (the outputs are written as files)",
		              o->nclusters ? "--cluster-cert" : "--backup-recipient");
		goto out;
	}
	if (o->nclusters > 1 && !strstr(o->out, "{cluster}")) {
		rc = gs_error(GS_EINVAL, "-w must contain {cluster} to seal for %zu clusters",
		              o->nclusters);
		goto out;
	}
	if (o->nbackup > sizeof(rcpts) / sizeof(rcpts[0])) {
		rc = gs_error(GS_EINVAL, "too many --backup-recipient");
		goto out;
	}
	for (i = 0; i < o->nbackup; i++)
		if ((rc = age_recipient_parse(&rcpts[i], o->backup[i])) < 0) {
			gs_error_prefix(rc, "--backup-recipient");
			goto out;
		}
	/* the input once (stdin too): sealed for each cluster, copied for the backup */
	if ((rc = file_read(&text, o->in)) < 0 ||
	    (rc = doc_read_manifests(&l, strcmp(o->in, "-") ? o->in : "stdin", text.p, text.len,
	                             DOC_PARSE_SECRET | DOC_MANIFEST_AS_WRITTEN)) < 0 ||
	    (rc = file_set_new(&fs)) < 0)
		goto out;
	/* every certificate first: a bad one is found before anything is sealed or made */
	if (o->nclusters && !(pks = calloc(o->nclusters, sizeof(*pks)))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < o->nclusters; i++) {
		const char *arg = o->clusters[i], *eq = strchr(arg, '=');
		if (!eq || !valid_name(arg, (size_t)(eq - arg)) || (size_t)(eq - arg) >= 256 ||
		    !eq[1]) {
			rc = gs_error(GS_EINVAL,
			              "--cluster-cert '%s': want NAME=FILE|URL (NAME: letters, "
			              "digits, '-', '_', '.')",
			              arg);
			goto out;
		}
		buf_reset(&pem);
		if ((rc = seal_cli_read_cert(&pem, eq + 1)) < 0 ||
		    (rc = sealed_pubkey_from_pem(&pks[i], pem.p, pem.len, eq + 1)) < 0 ||
		    (!o->allow_expired &&
		     (rc = sealed_pubkey_check_expiry(pks[i], time(NULL))) < 0)) {
			gs_error_prefix(rc, "cluster %.*s", (int)(eq - arg), arg);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		char name[256] = "";
		if (o->nclusters)
			snprintf(name, sizeof(name), "%.*s",
			         (int)(strchr(o->clusters[i], '=') - o->clusters[i]),
			         o->clusters[i]);
		buf_reset(&path);
		buf_reset(&out);
		if ((rc = out_path(&path, o->out, name)) < 0 ||
		    (rc = seal_all(&out, o, &l, o->nclusters ? pks[i] : o->pk,
		                   seal_cli_is_yaml_name(path.p) || o->yaml)) < 0) {
			if (*name)
				gs_error_prefix(rc, "cluster %s", name);
			goto out;
		}
		if ((rc = make_dirs(path.p)) < 0 ||
		    (rc = file_set_add(fs, path.p, out.p, out.len, 0644)) < 0)
			goto out;
		if (o->nbackup) {
			buf_reset(&enc);
			if ((rc = age_encrypt_buf(&enc, text.p, text.len, rcpts, o->nbackup, 1)) <
			        0 ||
			    (rc = buf_adds(&path, ".age")) < 0 ||
			    (rc = file_set_add(fs, path.p, enc.p, enc.len, 0600)) < 0)
				goto out;
		}
	}
	if ((rc = file_set_commit(fs)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(&path);
		if (o->nclusters) {
			char name[256];
			const char *eq = strchr(o->clusters[i], '=');
			snprintf(name, sizeof(name), "%.*s", (int)(eq - o->clusters[i]),
			         o->clusters[i]);
			out_path(&path, o->out, name);
		} else {
			out_path(&path, o->out, "");
		}
		fprintf(stderr, "wrote %s\n", path.p);
		if (o->nbackup)
			fprintf(stderr,
			        "wrote %s.age (the Secret, age-encrypted to the backup "
			        "recipients)\n",
			        path.p);
	}
	rc = 0;
out:
	for (i = 0; i < o->nbackup && i < sizeof(rcpts) / sizeof(rcpts[0]); i++)
		age_recipient_free(rcpts[i]);
	for (i = 0; pks && i < o->nclusters; i++)
		sealed_pubkey_free(pks[i]);
	free(pks);
	file_set_free(fs);
	doc_list_release(&l);
	buf_release(&text);
	buf_release(&path);
	buf_release(&out);
	buf_release(&enc);
	buf_release(&pem);
	return rc;
}
