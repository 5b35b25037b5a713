#include "core/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static int progress__wanted(void)
{
	const char *off = getenv("GITSEAL_NO_PROGRESS");
	return isatty(2) && !(off && *off);
}

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	p->on = progress__wanted();
	p->next = gs_mono() + 0.5;
}

void progress_set_unit(struct progress *p, const char *unit)
{
	p->unit = unit;
}

static void draw(struct progress *p)
{
	const double mib = 1024.0 * 1024.0;
	if (p->unit && p->total)
		fprintf(stderr, "\r%s: %llu / %llu %s", p->what, (unsigned long long)p->done,
		        (unsigned long long)p->total, p->unit);
	else if (p->unit)
		fprintf(stderr, "\r%s: %llu %s", p->what, (unsigned long long)p->done, p->unit);
	else if (p->total)
		fprintf(stderr, "\r%s: %3d%% (%.0f / %.0f MiB)", p->what,
		        (int)(p->done >= p->total ? 100 : p->done * 100 / p->total),
		        (double)p->done / mib, (double)p->total / mib);
	else
		fprintf(stderr, "\r%s: %.0f MiB", p->what, (double)p->done / mib);
	fflush(stderr);
	p->drawn = 1;
}

void progress_add(struct progress *p, uint64_t n)
{
	double t;
	p->done += n;
	if (!p->on || (t = gs_mono()) < p->next)
		return;
	p->next = t + 0.1;
	draw(p);
}

void progress_set(struct progress *p, uint64_t done)
{
	if (done > p->done)
		progress_add(p, done - p->done);
}

/* --- elapsed time, drawn by a thread ------------------------------------------------------ */

struct progress_timer {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC: a clock change does not stall or hurry it */
	const char *what;
	int done, drawn;
};

static void timespec_at(struct timespec *ts, double mono_s)
{
	ts->tv_sec = (time_t)mono_s;
	ts->tv_nsec = (long)((mono_s - (double)ts->tv_sec) * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *progress__tick(void *arg)
{
	struct progress_timer *t = arg;
	double start = gs_mono(), next = start + 0.5;
	struct timespec dl;

	pthread_mutex_lock(&t->mu);
	while (!t->done) {
		timespec_at(&dl, next);
		if (pthread_cond_timedwait(&t->cv, &t->mu, &dl) == 0 || gs_mono() < next)
			continue; /* woken (or spuriously): look at done again, same deadline */
		fprintf(stderr, "\r%s... %.1fs", t->what, gs_mono() - start);
		fflush(stderr);
		t->drawn = 1;
		next += 0.1;
	}
	if (t->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

void progress_start_elapsed(struct progress *p, const char *what)
{
	struct progress_timer *t;
	pthread_condattr_t ca;

	progress_start(p, what, 0);
	if (!p->on || !(t = calloc(1, sizeof(*t))))
		return;
	t->what = what;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&t->th, NULL, progress__tick, t) != 0) {
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		free(t);
		return; /* no progress line: nothing else depends on it */
	}
	p->timer = t;
}

void progress_end(struct progress *p)
{
	struct progress_timer *t = p->timer;
	if (t) {
		pthread_mutex_lock(&t->mu);
		t->done = 1;
		pthread_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->th, NULL);
		pthread_cond_destroy(&t->cv);
		pthread_mutex_destroy(&t->mu);
		free(t);
		p->timer = NULL;
		p->on = 0;
		return;
	}
	if (p->on && p->drawn) {
		fprintf(stderr, "\r\033[K"); /* erase the line: what follows starts clean */
		fflush(stderr);
	}
	p->on = 0;
}
