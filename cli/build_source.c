/*
 * The source step of gitseal build: a Git revision fetched into the user's
 * cache (lib/source) and exported as a read-only tree, with the command
 * line's credentials, a deadline, and progress on a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_build.h"
#include "core/error.h"
#include "core/progress.h"
#include "source/source.h"

/* "fetching URL: 3 MiB", then "exporting URL: 1234 files" once files are written */
struct fetch_progress {
	struct progress p;
	const char *fetching, *exporting;
	int exporting_now;
};

static int on_progress(void *data, const struct source_progress *sp)
{
	struct fetch_progress *fp = data;
	if (sp->exported_files && !fp->exporting_now) {
		progress_end(&fp->p);
		progress_start(&fp->p, fp->exporting, 0);
		progress_set_unit(&fp->p, "files");
		fp->exporting_now = 1;
	}
	progress_set(&fp->p, fp->exporting_now ? sp->exported_files : sp->received_bytes);
	return 0;
}

int build_source_open(struct build_source *bs, const struct build_opts *o, const char *url,
                      const char *revision, const char **root)
{
	struct source_cred_files cf = { o->ssh_key, o->known_hosts, o->ca_file, o->password_file };
	struct source_opts so = SOURCE_OPTS_INIT;
	struct source_rev rev;
	struct fetch_progress fp;
	struct buf fetching = BUF_INIT(4096), exporting = BUF_INIT(4096);
	int rc;

	memset(bs, 0, sizeof(*bs));
	*root = NULL;
	if ((rc = source_creds_from_files(&bs->creds, &cf)) < 0 ||
	    (rc = source_cache_open(&bs->cache, NULL)) < 0)
		goto out;
	buf_adds(&fetching, "fetching ");
	buf_adds(&exporting, "exporting ");
	if ((rc = source_url_display(&fetching, url)) < 0 ||
	    (rc = source_url_display(&exporting, url)) < 0)
		goto out;
	memset(&fp, 0, sizeof(fp));
	fp.fetching = fetching.p;
	fp.exporting = exporting.p;
	progress_start(&fp.p, fp.fetching, 0);
	so.url = url;
	so.revision = revision;
	so.creds = bs->creds;
	so.timeout_ms = o->timeout_ms;
	so.progress = on_progress;
	so.progress_data = &fp;
	rc = source_checkout(&bs->tree, &rev, bs->cache, &so);
	progress_end(&fp.p);
	if (rc < 0)
		goto out;
	*root = source_tree_path(bs->tree);
out:
	buf_release(&fetching);
	buf_release(&exporting);
	if (rc < 0)
		build_source_release(bs);
	return rc;
}

void build_source_release(struct build_source *bs)
{
	source_tree_release(bs->tree);
	source_cache_free(bs->cache);
	source_creds_free(bs->creds);
	memset(bs, 0, sizeof(*bs));
}
