#include "core/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	const char *off = getenv("GITSEAL_NO_PROGRESS");
	memset(p, 0, sizeof(*p));
	p->what = what;
	p->total = total;
	p->on = isatty(2) && !(off && *off);
	p->next = gs_mono() + 0.5;
}

static void draw(struct progress *p)
{
	const double mib = 1024.0 * 1024.0;
	if (p->total)
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

void progress_end(struct progress *p)
{
	if (p->on && p->drawn) {
		fprintf(stderr, "\r\033[K"); /* erase the line: what follows starts clean */
		fflush(stderr);
	}
	p->on = 0;
}
