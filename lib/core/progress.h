#ifndef GS_PROGRESS_H
#define GS_PROGRESS_H
/*
 * Progress of a long CLI operation on stderr: one line rewritten in place, first
 * after half a second (a quick operation never shows one), then at most ten times
 * a second, erased at the end. Only when stderr is a terminal (never in pipes,
 * logs or CI) and GITSEAL_NO_PROGRESS is unset.
 *
 * Two ways to drive it:
 *   progress_start() + progress_add()/progress_set(): the caller reports what was
 *     done ("encrypting: 40% (4 / 10 MiB)", "exporting: 1234 files" with a unit);
 *   progress_start_elapsed(): for work that reports nothing while it runs (a child
 *     process), a thread redraws the elapsed time ("rendering... 1.4s").
 * Either way progress_end() erases the line (and stops the thread).
 */
#include <stdint.h>

struct progress_timer;

struct progress {
	const char *what; /* "encrypting" */
	uint64_t total;   /* bytes (0: unknown, the count alone is shown) */
	uint64_t done;
	double next; /* monotonic seconds of the next redraw */
	int on, drawn;
	const char *unit;             /* NULL: done/total are bytes (MiB); else a count ("files") */
	struct progress_timer *timer; /* progress_start_elapsed() */
};

void progress_start(struct progress *p, const char *what, uint64_t total);
/* A count instead of bytes: "what: 1234 files" (call right after progress_start). */
void progress_set_unit(struct progress *p, const char *unit);
void progress_add(struct progress *p, uint64_t n);
void progress_set(struct progress *p, uint64_t done); /* done so far (never goes back) */
/* "what... 0.5s", redrawn by a thread until progress_end(); what must outlive it. */
void progress_start_elapsed(struct progress *p, const char *what);
void progress_end(struct progress *p);

#endif
