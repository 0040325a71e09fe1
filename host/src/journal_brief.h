/* One job's who-and-where, for sinks (struct nbsoar_job) and reports. */
#ifndef NBSOAR_JOURNAL_BRIEF_H
#define NBSOAR_JOURNAL_BRIEF_H

#include "journal.h"

struct journal_brief {
    char *event_id, *route, *notebook, *output; /* OWNED; NULL when absent */
    int64_t received_at;                        /* when the event was journalled */
    int attempts;
};
void journal_brief_clear(struct journal_brief *b);

/* 1 (filled), 0 (no such job) or -1 with err. */
int journal_job_brief(struct journal *j, const char *job_id, struct journal_brief *out, char *err,
                      size_t errlen);

/* When the next pending (or applying) operation is due: 1 (*at filled),
 * 0 (none) or -1. */
int journal_next_op_due(struct journal *j, int64_t *at, char *err, size_t errlen);

#endif
