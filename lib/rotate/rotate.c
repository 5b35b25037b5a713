/*
 * gitseal rotate's run (rotate.h): the walk, then every candidate file read and its .sops.yaml
 * rule resolved on this thread (network for `cluster:` entries, errors in walk order), then the
 * cryptography on `jobs` workers, then the file set: all staged, then all renamed. The first
 * error in walk order is the one reported, and then nothing is written.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "keys/keys.h"
#include "rotate/rotate_int.h"
#include "sealer/age/age.h"

#define ROTATE_FILE_MAX ((size_t)64 << 20)

struct job {
	char *path;
	struct buf text; /* the file as read (a secret buffer: a plain Secret may be among them) */
	int sops;
	enum sops_format fmt;
	int rule;
	struct buf out;
	struct rotate_result res;
	int rc;
	char *err; /* the message of a failure */
};

struct run {
	const struct rotate_opts *o;
	struct job *jobs;
	size_t n;
	pthread_mutex_t mu;
	size_t next;
	int stop;
	struct rotate_sealed_ctx sealed; /* the template each worker copies */
	struct rotate_sops_ctx sops;
};

void rotate_report_release(struct rotate_report *r)
{
	size_t i;
	for (i = 0; i < r->n; i++) {
		free(r->ent[i].path);
		free(r->ent[i].why);
	}
	free(r->ent);
	memset(r, 0, sizeof(*r));
}

static void *worker(void *arg)
{
	struct run *r = arg;
	struct rotate_sealed_ctx sealed = r->sealed; /* this worker's key hint */
	for (;;) {
		struct job *j;
		size_t i;
		pthread_mutex_lock(&r->mu);
		i = r->next++;
		if (r->stop)
			i = r->n;
		pthread_mutex_unlock(&r->mu);
		if (i >= r->n)
			break;
		j = &r->jobs[i];
		if (j->sops)
			j->rc = rotate__sops_file(&j->out, &j->res, &r->sops, j->rule, j->path,
			                          j->text.p, j->text.len, j->fmt);
		if (j->rc >= 0 && !j->res.objects && !r->o->no_sealed) {
			buf_reset(&j->out);
			j->rc = rotate__sealed_file(&j->out, &j->res, &sealed, j->path, j->text.p,
			                            j->text.len);
		}
		if (j->rc < 0) {
			j->err = strdup(gs_error_last());
			gs_error_clear();
			pthread_mutex_lock(&r->mu);
			r->stop = 1; /* the others finish the file they hold */
			pthread_mutex_unlock(&r->mu);
		}
	}
	return NULL;
}

static int nthreads(const struct rotate_opts *o, size_t n)
{
	long cpus = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	if (cpus > 64)
		cpus = 64;
	if ((size_t)cpus > n)
		cpus = n ? (long)n : 1;
	return (int)cpus;
}

/* The keys SealedSecrets are decided and sealed with (offline). */
static int sealed_setup(struct run *r)
{
	const struct rotate_opts *o = r->o;
	struct keys_ring *ring = o->ring;
	size_t i;

	r->sealed.o = o;
	if (o->online || o->no_sealed)
		return 0;
	if (!ring || !ring->n)
		return gs_error(GS_EINVAL, "no private keys to open the SealedSecrets with");
	r->sealed.set = ring->set;
	r->sealed.set.threads = 1;
	r->sealed.set.used = 0;
	r->sealed.cert = o->cert;
	if (!r->sealed.cert) {
		for (i = 0; i < ring->n && !ring->ent[i].cert; i++)
			;
		if (i == ring->n)
			return gs_error(GS_EINVAL,
			                "no certificate to seal for: none of the keys has "
			                "one (give --cert)");
		r->sealed.cert = ring->ent[i].cert;
	}
	for (i = 0; i < ring->n; i++)
		if (sealed_privkey_matches(ring->ent[i].key, r->sealed.cert)) {
			r->sealed.newkey = ring->ent[i].key;
			/* stale ones were sealed for another key: try that one first */
			r->sealed.set.hint = i == 0 && ring->n > 1 ? 1 : 0;
			break;
		}
	return 0;
}

static int sops_setup(struct run *r)
{
	const struct rotate_opts *o = r->o;
	struct buf where = BUF_INIT(8192), csv = BUF_INIT(1 << 16);
	size_t i;
	int rc = 0;

	r->sops.o = o;
	if (o->no_sops)
		goto out;
	if (o->conf && o->conf->nrules &&
	    (!(r->sops.rule_specs = calloc(o->conf->nrules, sizeof(*r->sops.rule_specs))) ||
	     !(r->sops.rule_ok = calloc(o->conf->nrules, sizeof(*r->sops.rule_ok))))) {
		rc = gs_error(GS_ENOMEM, "out of memory");
		goto out;
	}
	r->sops.nrules = o->conf ? o->conf->nrules : 0;
	if (sops_identities_load(&r->sops.ids, &where) < 0) {
		gs_error_clear(); /* none there: the ones given may do; a file that needs one says
		                   */
		age_identities_free(r->sops.ids);
		r->sops.ids = NULL;
	}
	if (o->identities && o->identities_len) {
		if ((rc = age_identities_parse(&r->sops.ids, o->identities, o->identities_len,
		                               "the key backup")) < 0)
			goto out;
		buf_adds(&where, ", the key backup's age identities");
	}
	if (!(r->sops.where = strdup(where.p)))
		rc = gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; rc >= 0 && i < o->nretired; i++)
		rc = buf_addf(&csv, "%s%s", i ? "," : "", o->retired[i]);
	if (rc >= 0 && csv.len && !(r->sops.retired_csv = strdup(csv.p)))
		rc = gs_error(GS_ENOMEM, "out of memory");
out:
	buf_release(&where);
	buf_release(&csv);
	return rc;
}

static void sops_teardown(struct run *r)
{
	size_t i;
	for (i = 0; i < r->sops.nrules; i++)
		if (r->sops.rule_specs)
			sops_keyspec_release(&r->sops.rule_specs[i]);
	free(r->sops.rule_specs);
	free(r->sops.rule_ok);
	age_identities_free(r->sops.ids);
	free((char *)r->sops.where);
	free(r->sops.retired_csv);
}

/* Read every candidate and resolve its rule, on this thread. */
static int prepare(struct run *r, char **files, size_t nfiles)
{
	const struct rotate_opts *o = r->o;
	size_t i;
	int rc;

	if (!(r->jobs = calloc(nfiles ? nfiles : 1, sizeof(*r->jobs))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < nfiles; i++) {
		struct job *j = &r->jobs[r->n];
		buf_init(&j->text, ROTATE_FILE_MAX, 1);
		buf_init(&j->out, ROTATE_FILE_MAX, 0);
		j->rule = -1;
		if ((rc = file_read(&j->text, files[i])) < 0) {
			buf_release(&j->text);
			return gs_error_prefix(rc, "%s", files[i]);
		}
		j->sops = !o->no_sops && rotate__is_sops(files[i], j->text.p, j->text.len, &j->fmt);
		if (!j->sops &&
		    (o->no_sealed || !memmem(j->text.p, j->text.len, "SealedSecret", 12))) {
			buf_release(&j->text);
			continue;
		}
		if (!(j->path = strdup(files[i]))) {
			buf_release(&j->text);
			return gs_error(GS_ENOMEM, "out of memory");
		}
		r->n++;
		if (j->sops && (rc = rotate__sops_rule(&r->sops, j->path, &j->rule)) < 0)
			return rc;
	}
	return 0;
}

static int report(struct rotate_report *rep, struct run *r)
{
	size_t i;
	if (!(rep->ent = calloc(r->n ? r->n : 1, sizeof(*rep->ent))))
		return gs_error(GS_ENOMEM, "out of memory");
	for (i = 0; i < r->n; i++) {
		struct job *j = &r->jobs[i];
		struct rotate_entry *e = &rep->ent[rep->n];
		if (j->rc < 0 || !j->res.objects)
			continue;
		e->kind = j->res.kind;
		e->action = j->res.action;
		e->objects = j->res.objects;
		e->changed = j->res.changed;
		if (!(e->path = strdup(j->path)) || !(e->why = strdup(j->res.why)))
			return gs_error(GS_ENOMEM, "out of memory");
		rep->n++;
	}
	return 0;
}

int rotate_run(struct rotate_report *rep, const char *path, const struct rotate_opts *o)
{
	struct run r;
	struct file_set *fs = NULL;
	pthread_t th[64];
	char **files = NULL, *root = NULL;
	size_t nfiles = 0, i;
	int rc, nt, started = 0;

	memset(rep, 0, sizeof(*rep));
	memset(&r, 0, sizeof(r));
	r.o = o;
	pthread_mutex_init(&r.mu, NULL);
	if ((rc = sealed_setup(&r)) < 0 || (rc = sops_setup(&r)) < 0)
		goto out;
	if (o->files) {
		if (!(files = calloc(o->nfiles ? o->nfiles : 1, sizeof(*files)))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (nfiles = 0; nfiles < o->nfiles; nfiles++)
			if (!(files[nfiles] = strdup(o->files[nfiles]))) {
				rc = gs_error(GS_ENOMEM, "out of memory");
				goto out;
			}
	} else {
		size_t l;
		if (!(root = strdup(path && *path ? path : "."))) {
			rc = gs_error(GS_ENOMEM, "out of memory");
			goto out;
		}
		for (l = strlen(root); l > 1 && root[l - 1] == '/'; l--)
			root[l - 1] = 0;
		if ((rc = rotate__walk(&files, &nfiles, root)) < 0)
			goto out;
	}
	rep->files = nfiles;
	if ((rc = prepare(&r, files, nfiles)) < 0)
		goto out;
	nt = nthreads(o, r.n);
	for (i = 1; i < (size_t)nt; i++)
		if (!pthread_create(&th[started], NULL, worker, &r))
			started++;
	worker(&r);
	for (i = 0; i < (size_t)started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < r.n; i++) {
		if (r.jobs[i].rc < 0) { /* the first in walk order */
			rc = gs_error(r.jobs[i].rc, "%s", r.jobs[i].err ? r.jobs[i].err : "failed");
			goto out;
		}
		if (o->files && !r.jobs[i].res.objects && !r.stop) { /* named: must hold one */
			rc = gs_error(GS_EPARSE, "%s: no %s found", r.jobs[i].path,
			              o->no_sops ? "SealedSecret" : "SealedSecret or SOPS file");
			goto out;
		}
	}
	if ((rc = report(rep, &r)) < 0 || o->dry_run)
		goto out;
	if ((rc = file_set_new(&fs)) < 0)
		goto out;
	for (i = 0; i < r.n; i++)
		if (r.jobs[i].res.action == ROTATE_CHANGED &&
		    (rc = file_set_add(fs, r.jobs[i].path, r.jobs[i].out.p, r.jobs[i].out.len,
		                       0644)) < 0)
			goto out; /* staged temps are removed: nothing replaced */
	if ((rc = file_set_commit(fs)) < 0)
		goto out;
	rep->written = file_set_count(fs);
	rc = 0;
out:
	file_set_free(fs);
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(root);
	for (i = 0; i < r.n; i++) {
		free(r.jobs[i].path);
		free(r.jobs[i].err);
		buf_release(&r.jobs[i].text);
		buf_release(&r.jobs[i].out);
	}
	free(r.jobs);
	sops_teardown(&r);
	pthread_mutex_destroy(&r.mu);
	return rc;
}
