/* Journal: the few facts about one job a sink needs (who, which route). */
#include "journal_internal.h"

#include <stdlib.h>
#include <string.h>

#include "journal_brief.h"

void journal_brief_clear(struct journal_brief *b)
{
    free(b->event_id);
    free(b->route);
    free(b->notebook);
    free(b->output);
    memset(b, 0, sizeof *b);
}

int journal_job_brief(struct journal *j, const char *job_id, struct journal_brief *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "SELECT e.event_id, jb.route, jb.notebook, jb.output, e.received_at, jb.attempts "
        "FROM jobs jb JOIN events e ON e.id = jb.event WHERE jb.id = ?1", err, errlen);
    int rc = -1;
    if (st != NULL) {
        jr_bind_text(st, 1, job_id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            out->event_id = jr_column_dup(st, 0);
            out->route = jr_column_dup(st, 1);
            out->notebook = jr_column_dup(st, 2);
            out->output = jr_column_dup(st, 3);
            out->received_at = sqlite3_column_int64(st, 4);
            out->attempts = sqlite3_column_int(st, 5);
            rc = 1;
        } else {
            rc = step == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "job brief");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_next_op_due(struct journal *j, int64_t *at, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "SELECT min(next_attempt_at) FROM operations WHERE status IN ('pending', 'applying')",
        err, errlen);
    int rc = -1;
    if (st != NULL) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            rc = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : 1;
            if (rc == 1)
                *at = sqlite3_column_int64(st, 0);
        } else {
            rc = jr_fail(j, err, errlen, "next operation");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}
