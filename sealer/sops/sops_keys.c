/* age identities found the way sops finds them (age/keysource.go). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/file.h"
#include "sealer/age/age.h"
#include "sealer/sops/sops.h"

/*
 * SOPS_AGE_KEY holds what a keys file holds (comment lines such as "# public key: age1...",
 * CRLF line ends, blank lines, trailing blanks) and, as sops also reads it, several keys on
 * one line separated by blanks: a line that is not a comment is split on its blanks, so the
 * result parses exactly as SOPS_AGE_KEY_FILE with the same text would.
 */
static int add_text(struct age_identity **ids, struct buf *text, const char *name)
{
	char *p = text->p;
	size_t i = 0, k;
	while (i < text->len) {
		size_t end = i;
		while (end < text->len && p[end] != '\n')
			end++;
		if (p[i] != '#')
			for (k = i; k < end; k++)
				if (p[k] == ' ' || p[k] == '\t')
					p[k] = '\n';
		i = end + 1;
	}
	return age_identities_parse(ids, text->p, text->len, name);
}

static int run_cmd(struct buf *out, const char *cmd)
{
	FILE *p;
	size_t n;
	char chunk[4096];
	int st;
	if (!(p = popen(cmd, "r")))
		return gs_error(GS_EIO, "SOPS_AGE_KEY_CMD: cannot run command");
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		if (buf_add(out, chunk, n) < 0) {
			gs_wipe(chunk, sizeof(chunk));
			pclose(p);
			return gs_error(GS_ETOOBIG, "SOPS_AGE_KEY_CMD: output too large");
		}
	gs_wipe(chunk, sizeof(chunk));
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return gs_error(GS_EIO, "SOPS_AGE_KEY_CMD: command failed (exit %d)",
		                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

int sops_identities_load(struct age_identity **ids, struct buf *where)
{
	struct buf text = BUF_INIT_SECRET((size_t)4 << 20);
	const char *v;
	char path[4096];
	int rc = 0, loaded = 0;

	*ids = NULL;
	if ((v = getenv("SOPS_AGE_KEY")) && *v) {
		buf_adds(where, "SOPS_AGE_KEY, ");
		if ((rc = buf_adds(&text, v)) < 0 ||
		    (rc = add_text(ids, &text, "SOPS_AGE_KEY")) < 0)
			goto out;
		loaded++;
	}
	if ((v = getenv("SOPS_AGE_KEY_FILE")) && *v) {
		buf_addf(where, "'%s', ", v);
		buf_reset(&text);
		if ((rc = file_read(&text, v)) < 0) {
			gs_error_prefix(rc, "failed to open file");
			goto out;
		}
		if ((rc = age_identities_parse(ids, text.p, text.len, v)) < 0)
			goto out;
		loaded++;
	}
	if ((v = getenv("SOPS_AGE_KEY_CMD")) && *v) {
		buf_adds(where, "SOPS_AGE_KEY_CMD, ");
		buf_reset(&text);
		if ((rc = run_cmd(&text, v)) < 0 ||
		    (rc = age_identities_parse(ids, text.p, text.len, "SOPS_AGE_KEY_CMD")) < 0)
			goto out;
		loaded++;
	}
	/* the default key file is read only when it exists */
	if ((v = getenv("XDG_CONFIG_HOME")) && *v)
		snprintf(path, sizeof(path), "%s/sops/age/keys.txt", v);
	else if ((v = getenv("HOME")) && *v)
		snprintf(path, sizeof(path), "%s/.config/sops/age/keys.txt", v);
	else
		path[0] = 0;
	if (path[0]) {
		buf_addf(where, "'%s'", path);
		if (file_exists(path)) {
			buf_reset(&text);
			if ((rc = file_read(&text, path)) < 0 ||
			    (rc = age_identities_parse(ids, text.p, text.len, path)) < 0)
				goto out;
			loaded++;
		}
	}
	rc = loaded;
out:
	if (rc < 0) {
		age_identities_free(*ids);
		*ids = NULL;
	}
	buf_release(&text);
	return rc;
}
