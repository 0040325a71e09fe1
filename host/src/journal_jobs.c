/* Journal: jobs (create, claim, finish, retry) and operations. */
#include "journal_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DEFAULT_BACKOFF_MS 30000L
#define DEFAULT_BACKOFF_MAX_MS 3600000L
#define ID_ATTEMPTS 5

/* "20261122T063149Z-1a2b3c4d5e6f": sorts by creation time, and 48 random
 * bits keep ids (and so idempotency keys) unique across journals too. */
static void new_job_id(struct journal *j, char id[JOURNAL_ID_SIZE])
{
    time_t now = (time_t)(journal_now(j) / 1000);
    struct tm tm;
    gmtime_r(&now, &tm);
    unsigned char rnd[6];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char)(ts.tv_nsec >> (i * 5));
    }
    size_t n = strftime(id, JOURNAL_ID_SIZE, "%Y%m%dT%H%M%SZ-", &tm);
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(id + n + 2 * i, 3, "%02x", rnd[i]);
}

int jr_insert_jobs(struct journal *j, int64_t event_rowid, const struct journal_job_in *jobs,
                   size_t n_jobs, char (*ids)[JOURNAL_ID_SIZE], char *err, size_t errlen)
{
    if (n_jobs == 0)
        return 0;
    sqlite3_stmt *st = jr_prepare(j,
        "INSERT INTO jobs (id, event, route, notebook, parameters, status, max_attempts, "
        "backoff_ms, backoff_max_ms, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        err, errlen);
    if (st == NULL)
        return -1;
    int64_t now = journal_now(j);
    for (size_t i = 0; i < n_jobs; i++) {
        const struct journal_job_in *in = &jobs[i];
        char id[JOURNAL_ID_SIZE];
        int inserted = 0;
        for (int attempt = 0; attempt < ID_ATTEMPTS && !inserted; attempt++) {
            new_job_id(j, id);
            sqlite3_reset(st);
            jr_bind_text(st, 1, id);
            sqlite3_bind_int64(st, 2, event_rowid);
            jr_bind_text(st, 3, in->route);
            jr_bind_text(st, 4, in->notebook);
            char *params = in->parameters != NULL
                ? json_dumps(in->parameters, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
            jr_bind_redacted(st, 5, params);
            free(params);
            sqlite3_bind_int(st, 6, in->retries + 1);
            sqlite3_bind_int64(st, 7, in->backoff_ms > 0 ? in->backoff_ms : DEFAULT_BACKOFF_MS);
            sqlite3_bind_int64(st, 8, in->backoff_max_ms > 0 ? in->backoff_max_ms
                                                             : DEFAULT_BACKOFF_MAX_MS);
            sqlite3_bind_int64(st, 9, now);
            sqlite3_bind_int64(st, 10, now);
            if (sqlite3_step(st) != SQLITE_DONE) {
                jr_fail(j, err, errlen, "insert job");
                sqlite3_finalize(st);
                return -1;
            }
            inserted = sqlite3_changes(j->db) == 1;
        }
        if (!inserted) {
            snprintf(err, errlen, "journal %s: no free job id", j->path);
            sqlite3_finalize(st);
            return -1;
        }
        if (ids != NULL)
            memcpy(ids[i], id, JOURNAL_ID_SIZE);
    }
    sqlite3_finalize(st);
    return 0;
}

void journal_job_clear(struct journal_job *job)
{
    free(job->source);
    free(job->event_id);
    json_decref(job->event);
    free(job->route);
    free(job->notebook);
    json_decref(job->parameters);
    memset(job, 0, sizeof(*job));
}

int journal_claim_job(struct journal *j, struct journal_job *job, char *err, size_t errlen)
{
    memset(job, 0, sizeof(*job));
    pthread_mutex_lock(&j->lock);
    int64_t now = journal_now(j);
    /* One statement: the pick and the status change cannot be split by
     * another claimer, in this process or another. */
    sqlite3_stmt *st = jr_prepare(j,
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?1, "
        "  finished_at = NULL, duration_ms = NULL "
        "WHERE id = (SELECT id FROM jobs WHERE status IN ('queued', 'retry_wait') "
        "            AND next_attempt_at <= ?1 ORDER BY next_attempt_at, rowid LIMIT 1) "
        "RETURNING id, event, route, notebook, parameters, attempts, max_attempts, "
        "  (SELECT source FROM events WHERE events.id = jobs.event), "
        "  (SELECT event_id FROM events WHERE events.id = jobs.event), "
        "  (SELECT body FROM events WHERE events.id = jobs.event)",
        err, errlen);
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, now);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            snprintf(job->id, sizeof(job->id), "%s", (const char *)sqlite3_column_text(st, 0));
            job->event_rowid = sqlite3_column_int64(st, 1);
            job->route = jr_column_dup(st, 2);
            job->notebook = jr_column_dup(st, 3);
            job->parameters = jr_column_json(st, 4);
            job->attempt = sqlite3_column_int(st, 5);
            job->max_attempts = sqlite3_column_int(st, 6);
            job->source = jr_column_dup(st, 7);
            job->event_id = jr_column_dup(st, 8);
            job->event = jr_column_json(st, 9);
            step = sqlite3_step(st);
            rc = 1;
        } else {
            rc = 0;
        }
        if (step != SQLITE_DONE) {
            rc = jr_fail(j, err, errlen, "claim job");
            journal_job_clear(job);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_next_due(struct journal *j, int64_t *at, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j, "SELECT min(next_attempt_at) FROM jobs "
                                     "WHERE status IN ('queued', 'retry_wait')", err, errlen);
    int rc = -1;
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        rc = sqlite3_column_type(st, 0) != SQLITE_NULL;
        if (rc == 1)
            *at = sqlite3_column_int64(st, 0);
    } else if (st != NULL) {
        jr_fail(j, err, errlen, "next due");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

long journal_backoff_ms(int attempt, long base_ms, long max_ms, double u)
{
    if (attempt < 1)
        attempt = 1;
    double d = (double)base_ms * pow(2.0, (double)(attempt - 1));
    if (d > (double)max_ms)
        d = (double)max_ms;
    if (u < 0)
        u = 0;
    if (u >= 1)
        u = 0.999999;
    return (long)(d / 2 + d / 2 * u);
}

static double jitter(void)
{
    uint32_t r;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)clock();
    return (double)r / 4294967296.0;
}

/* Ends a running job: the UPDATE only touches a job that is running. */
static int end_job(struct journal *j, const char *job_id, const char *status,
                   const struct journal_job_result *res, const char *error, int64_t next_at,
                   char *err, size_t errlen)
{
    sqlite3_stmt *st = jr_prepare(j,
        "UPDATE jobs SET status = ?1, finished_at = ?2, duration_ms = ?2 - started_at, "
        "  next_attempt_at = ?3, error = ?4, "
        "  notebook_sha256 = coalesce(?5, notebook_sha256), output = coalesce(?6, output), "
        "  output_link = coalesce(?7, output_link) "
        "WHERE id = ?8 AND status = 'running'", err, errlen);
    if (st == NULL)
        return -1;
    int64_t now = journal_now(j);
    jr_bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, next_at > 0 ? next_at : now);
    jr_bind_redacted(st, 4, error);
    jr_bind_text(st, 5, res != NULL ? res->notebook_sha256 : NULL);
    jr_bind_text(st, 6, res != NULL ? res->output : NULL);
    jr_bind_text(st, 7, res != NULL ? res->output_link : NULL);
    jr_bind_text(st, 8, job_id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "end job");
    if (rc == 0 && sqlite3_changes(j->db) == 0) {
        snprintf(err, errlen, "job %s is not running", job_id);
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int journal_finish_job(struct journal *j, const char *job_id, const struct journal_job_result *res,
                       char *err, size_t errlen)
{
    const char *status = res->status == JOURNAL_JOB_SUCCEEDED ? "succeeded" : "failed";
    pthread_mutex_lock(&j->lock);
    int rc = jr_begin(j, err, errlen);
    if (rc == 0 && (end_job(j, job_id, status, res, res->error, 0, err, errlen) != 0 ||
                    jr_insert_ops(j, job_id, res->ops, res->n_ops, err, errlen) != 0)) {
        jr_rollback(j);
        rc = -1;
    } else if (rc == 0) {
        rc = jr_commit(j, err, errlen);
    }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_schedule_retry(struct journal *j, const char *job_id, const char *error,
                           int *dead, int64_t *next_at, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    int rc = jr_begin(j, err, errlen);
    sqlite3_stmt *st = rc == 0 ? jr_prepare(j, "SELECT attempts, max_attempts, backoff_ms, "
                                               "backoff_max_ms FROM jobs WHERE id = ?",
                                            err, errlen) : NULL;
    int is_dead = 0;
    int64_t at = 0;
    if (st != NULL) {
        jr_bind_text(st, 1, job_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int attempts = sqlite3_column_int(st, 0);
            is_dead = attempts >= sqlite3_column_int(st, 1);
            at = journal_now(j) + journal_backoff_ms(attempts, (long)sqlite3_column_int64(st, 2),
                                                     (long)sqlite3_column_int64(st, 3), jitter());
        } else {
            snprintf(err, errlen, "no job %s", job_id);
            rc = -1;
        }
    } else {
        rc = -1;
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = end_job(j, job_id, is_dead ? "dead" : "retry_wait", NULL, error, is_dead ? 0 : at,
                     err, errlen);
    if (rc == 0)
        rc = jr_commit(j, err, errlen);
    else
        jr_rollback(j);
    pthread_mutex_unlock(&j->lock);
    if (rc == 0 && dead != NULL)
        *dead = is_dead;
    if (rc == 0 && next_at != NULL)
        *next_at = is_dead ? 0 : at;
    return rc;
}

int journal_requeue_job(struct journal *j, const char *job_id, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j, "UPDATE jobs SET status = 'queued', next_attempt_at = ? "
                                     "WHERE id = ? AND status != 'running'", err, errlen);
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, journal_now(j));
        jr_bind_text(st, 2, job_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "requeue");
        if (rc == 0 && sqlite3_changes(j->db) == 0) {
            snprintf(err, errlen, "no job %s, or it is running", job_id);
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}
