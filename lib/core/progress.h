#ifndef GS_PROGRESS_H
#define GS_PROGRESS_H
/*
 * Progress of a long CLI operation on stderr: one line rewritten in place, first
 * after half a second (a quick operation never shows one), then at most ten times
 * a second, erased at the end. Only when stderr is a terminal (never in pipes,
 * logs or CI) and GITSEAL_NO_PROGRESS is unset.
 */
#include <stdint.h>

struct progress {
	const char *what; /* "encrypting" */
	uint64_t total;   /* bytes (0: unknown, the count alone is shown) */
	uint64_t done;
	double next; /* monotonic seconds of the next redraw */
	int on, drawn;
};

void progress_start(struct progress *p, const char *what, uint64_t total);
void progress_add(struct progress *p, uint64_t n);
void progress_end(struct progress *p);

#endif
