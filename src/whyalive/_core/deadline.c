/* deadline.c: the phases' names and the progress line (deadline.h). */
#include "deadline.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;     /* in a report */
    const char *progress; /* on the progress line, before `done` */
} phases[] = {
    [PHASE_NONE] = {NULL, ""},
    [PHASE_LISTING] = {"listing", "listing objects:"},
    [PHASE_INDEXING] = {"indexing", "indexing objects:"},
    [PHASE_SEARCHING] = {"searching", "searching from the roots, level"},
    [PHASE_SEARCHING_OUTSIDE] = {"searching_outside",
                                 "searching from outside references, level"},
    [PHASE_CHOOSING] = {"choosing", "choosing paths, target"},
    [PHASE_TRACING_BACK] = {"tracing_back", "tracing unreached targets back:"},
    [PHASE_NAMING] = {"naming", "naming paths, target"},
};

const char *
deadline_phase_name(int phase)
{
    return phase > PHASE_NONE && phase <= PHASE_NAMING ? phases[phase].name
                                                       : NULL;
}

int
deadline_phase_named(const char *name)
{
    for (int phase = PHASE_NONE + 1; phase <= PHASE_NAMING; phase++) {
        if (strcmp(phases[phase].name, name) == 0) {
            return phase;
        }
    }
    return PHASE_NONE;
}

void
deadline_report(deadline_t *d, double now)
{
    if (now - d->start < PROGRESS_AFTER) {
        d->next_report = d->start + PROGRESS_AFTER;
        return;
    }
    /* the process's own stderr; the Python layer asks only when it is a
     * terminal, so this never mixes into captured output */
    const char *what = d->phase >= PHASE_NONE && d->phase <= PHASE_NAMING
                           ? phases[d->phase].progress
                           : "";
    fprintf(stderr, "\rwhyalive: %s %zu, %.1f s ", what, d->done,
            now - d->start);
    fflush(stderr);
    d->printed = 1;
    d->next_report = now + 0.5;
}

void
deadline_finish(deadline_t *d)
{
    if (d->printed) {
        fprintf(stderr, "\r%60s\r", "");
        fflush(stderr);
        d->printed = 0;
    }
}
