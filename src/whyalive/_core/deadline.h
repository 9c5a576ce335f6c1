/* deadline.h: a query's time limit, its phases, and its progress line.
 *
 * Every stage of an explain query (heap.c, search.c, select.c,
 * unreached.c, result.c) asks deadline_passed() in its loops; the phase
 * it is in names where the time ran out in the report ("stopped_in")
 * and what the progress line says.
 */
#ifndef WHYALIVE_DEADLINE_H
#define WHYALIVE_DEADLINE_H

#include <stddef.h>

#include "platform.h"

/* A time limit, checked cheaply in hot loops, and the progress line a
 * long query prints (when asked: stderr is a terminal) once it has run
 * for PROGRESS_AFTER seconds. */
#define PROGRESS_AFTER 2.0

/* What a query is doing; `done` counts in the unit given. */
enum query_phase {
    PHASE_NONE = 0,
    PHASE_LISTING,           /* objects listed */
    PHASE_INDEXING,          /* objects indexed */
    PHASE_SEARCHING,         /* depth reached from the roots */
    PHASE_SEARCHING_OUTSIDE, /* depth reached from outside references */
    PHASE_CHOOSING,          /* targets whose paths are chosen */
    PHASE_TRACING_BACK,      /* targets no root reaches, traced back */
    PHASE_NAMING,            /* targets whose paths are named */
};

typedef struct {
    double deadline; /* platform_monotonic() seconds, 0 for none */
    unsigned int ticks;
    int expired;
    /* progress */
    int progress;       /* print it */
    double start;       /* when the query began */
    double next_report; /* when to print next */
    int phase;          /* enum query_phase */
    size_t done;        /* how far, in the phase's unit */
    int printed;        /* a line is on the terminal */
    /* where the time ran out, for the report */
    int expired_phase;
    size_t expired_done;
    /* tests: the time runs out as this phase begins (0: never) */
    int expire_at_phase;
    /* Time kept for the work that must follow a stop (giving the GC
     * headers back): `reserve` seconds, plus `reserve_rate` seconds per
     * second spent in the phase so far. */
    double reserve;
    double reserve_rate;
    double phase_start;
} deadline_t;

/* The phase's name in a report ("indexing", ...), or NULL for none. */
const char *deadline_phase_name(int phase);
/* The phase of that name, or PHASE_NONE. */
int deadline_phase_named(const char *name);

/* A query enters a phase: its progress counts from 0. */
static inline void
deadline_enter(deadline_t *d, int phase)
{
    d->phase = phase;
    d->done = 0;
    d->phase_start = platform_monotonic();
    d->reserve_rate = 0;
    if (phase == d->expire_at_phase && !d->expired) {
        d->expired = 1;
        d->expired_phase = phase;
        d->expired_done = 0;
    }
}

void deadline_report(deadline_t *d, double now);
/* Ends the progress line, if one was printed. */
void deadline_finish(deadline_t *d);

static inline int
deadline_passed(deadline_t *d)
{
    if (d->expired) {
        return 1;
    }
    if ((++d->ticks & 1023u) != 0 || (d->deadline <= 0 && !d->progress)) {
        return 0;
    }
    double now = platform_monotonic();
    if (d->progress && now >= d->next_report) {
        deadline_report(d, now);
    }
    if (d->deadline > 0 &&
        now + d->reserve + d->reserve_rate * (now - d->phase_start) >=
            d->deadline)
    {
        d->expired = 1;
        d->expired_phase = d->phase;
        d->expired_done = d->done;
    }
    return d->expired;
}

#endif /* WHYALIVE_DEADLINE_H */
