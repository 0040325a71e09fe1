/* Journal: read-only queries behind `nbsoar status`, `jobs` and `replay`. */
#include "journal_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIST_LIMIT 100

static long *stat_slot(struct journal_stats *s, const char *table, const char *status)
{
    static const struct { const char *table, *status; size_t off; } slots[] = {
        {"jobs", "queued", offsetof(struct journal_stats, queued)},
        {"jobs", "running", offsetof(struct journal_stats, running)},
        {"jobs", "retry_wait", offsetof(struct journal_stats, retry_wait)},
        {"jobs", "succeeded", offsetof(struct journal_stats, succeeded)},
        {"jobs", "failed", offsetof(struct journal_stats, failed)},
        {"jobs", "dead", offsetof(struct journal_stats, dead)},
        {"ops", "pending", offsetof(struct journal_stats, ops_pending)},
        {"ops", "applying", offsetof(struct journal_stats, ops_applying)},
        {"ops", "applied", offsetof(struct journal_stats, ops_applied)},
        {"ops", "failed", offsetof(struct journal_stats, ops_failed)},
        {"events", "", offsetof(struct journal_stats, events)},
        {"quarantine", "", offsetof(struct journal_stats, quarantined)},
    };
    for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
        if (strcmp(slots[i].table, table) == 0 && strcmp(slots[i].status, status) == 0)
            return (long *)((char *)s + slots[i].off);
    return NULL;
}

int journal_stats(struct journal *j, struct journal_stats *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "SELECT 'jobs', status, count(*) FROM jobs GROUP BY status "
        "UNION ALL SELECT 'ops', status, count(*) FROM operations GROUP BY status "
        "UNION ALL SELECT 'events', '', count(*) FROM events "
        "UNION ALL SELECT 'quarantine', '', count(*) FROM quarantine", err, errlen);
    int rc = -1, step = SQLITE_DONE;
    if (st != NULL) {
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            long *slot = stat_slot(out, (const char *)sqlite3_column_text(st, 0),
                                   (const char *)sqlite3_column_text(st, 1));
            if (slot != NULL)
                *slot = (long)sqlite3_column_int64(st, 2);
        }
        rc = step == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "stats");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_route_counts(struct journal *j, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j, "SELECT coalesce(route, ''), status, count(*) FROM jobs "
                                     "GROUP BY 1, 2 ORDER BY 1, 2", err, errlen);
    int rc = -1, step = SQLITE_DONE;
    if (st != NULL) {
        json_t *obj = json_object();
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            const char *route = (const char *)sqlite3_column_text(st, 0);
            json_t *counts = json_object_get(obj, route);
            if (counts == NULL) {
                counts = json_object();
                json_object_set_new(obj, route, counts);
            }
            json_object_set_new(counts, (const char *)sqlite3_column_text(st, 1),
                                json_integer(sqlite3_column_int64(st, 2)));
        }
        if (step == SQLITE_DONE) {
            *out = obj;
            rc = 0;
        } else {
            json_decref(obj);
            jr_fail(j, err, errlen, "route counts");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

static void set_text(json_t *obj, const char *name, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    json_object_set_new(obj, name, s != NULL ? json_string(s) : json_null());
}

static void set_int(json_t *obj, const char *name, sqlite3_stmt *st, int col)
{
    json_object_set_new(obj, name, sqlite3_column_type(st, col) == SQLITE_NULL
                                       ? json_null() : json_integer(sqlite3_column_int64(st, col)));
}

int journal_list_jobs(struct journal *j, const struct journal_job_filter *f, json_t **out,
                      char *err, size_t errlen)
{
    static const struct journal_job_filter none = {0};
    if (f == NULL)
        f = &none;
    *out = NULL;
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "SELECT j.id, e.event_id, e.source, j.route, j.notebook, j.status, j.attempts, "
        "  j.created_at, j.started_at, j.finished_at, j.duration_ms, j.next_attempt_at, "
        "  j.output, j.output_link, j.error, "
        "  (SELECT json_group_object(status, n) FROM (SELECT status, count(*) AS n "
        "     FROM operations WHERE job = j.id GROUP BY status)) "
        "FROM jobs j JOIN events e ON e.id = j.event "
        "WHERE (?1 IS NULL OR j.status = ?1 OR (?1 = 'failed' AND j.status = 'dead')) "
        "  AND (?2 IS NULL OR e.event_id = ?2) AND (?3 IS NULL OR j.route = ?3) "
        "ORDER BY j.created_at DESC, j.rowid DESC LIMIT ?4", err, errlen);
    int rc = -1, step = SQLITE_DONE;
    if (st != NULL) {
        jr_bind_text(st, 1, f->status);
        jr_bind_text(st, 2, f->event_id);
        jr_bind_text(st, 3, f->route);
        sqlite3_bind_int(st, 4, f->limit > 0 ? f->limit : DEFAULT_LIST_LIMIT);
        static const char *const text_cols[] = {"id", "event_id", "source", "route",
                                                "notebook", "status"};
        static const char *const int_cols[] = {"attempts", "created_at", "started_at",
                                               "finished_at", "duration_ms", "next_attempt_at"};
        static const char *const tail_cols[] = {"output", "output_link", "error"};
        json_t *arr = json_array();
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *o = json_object();
            int col = 0;
            for (size_t i = 0; i < 6; i++)
                set_text(o, text_cols[i], st, col++);
            for (size_t i = 0; i < 6; i++)
                set_int(o, int_cols[i], st, col++);
            for (size_t i = 0; i < 3; i++)
                set_text(o, tail_cols[i], st, col++);
            json_t *ops = jr_column_json(st, col);
            json_object_set_new(o, "operations", ops != NULL ? ops : json_object());
            json_array_append_new(arr, o);
        }
        if (step == SQLITE_DONE) {
            *out = arr;
            rc = 0;
        } else {
            json_decref(arr);
            jr_fail(j, err, errlen, "list jobs");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_find_event(struct journal *j, const char *id, int64_t *rowid, json_t **event,
                       char *err, size_t errlen)
{
    *event = NULL;
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j, "SELECT id, body FROM events WHERE event_id = ?1 "
                                     "OR CAST(id AS TEXT) = ?1 ORDER BY (event_id = ?1) DESC, "
                                     "id DESC LIMIT 1", err, errlen);
    int rc = -1;
    if (st != NULL) {
        jr_bind_text(st, 1, id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *rowid = sqlite3_column_int64(st, 0);
            *event = jr_column_json(st, 1);
            rc = 1;
        } else {
            rc = step == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "find event");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}
