/*
 * The journal: a SQLite file (WAL) that makes the dispatcher at-least-once
 * without repeating work.  It holds
 *   events      deduplicated by (source, "id:<event id>") or, without an id,
 *               (source, "sha256:<hash of the event as canonical JSON>");
 *   jobs        event x route x notebook: queued -> running -> succeeded |
 *               failed | retry_wait (-> queued when due) | dead;
 *   operations  what a job's notebook emitted, one row per (idempotency key,
 *               sink), key = "<job id>:<index>": pending -> applying ->
 *               applied | failed (or back to pending for a retry);
 *   cursors     per source (source, key) -> value;
 *   quarantine  input that was not an event, with the reason.
 *
 * Durability: every function that writes has committed before it returns.
 * With JOURNAL_SYNC_FULL (the default) a commit is fsync'd, so an event
 * acknowledged after journal_add_event() (the webhook's 202) survives a
 * power cut as well as kill -9; JOURNAL_SYNC_NORMAL survives a crash of the
 * process but may lose the last commits if the machine itself goes down.
 *
 * Threads and processes: a struct journal is one SQLite connection guarded
 * by its own mutex, so threads may share it (SQLite has one writer at a time
 * anyway).  Other processes (`nbsoar status`) open their own handle; writes
 * take the lock up front (BEGIN IMMEDIATE) and wait up to busy_timeout_ms.
 * Only the daemon calls journal_recover(), once, before claiming anything.
 *
 * Times are milliseconds since the epoch (the journal's clock).  Returns:
 * 0 on success, -1 with err filled (never a secret) unless said otherwise.
 */
#ifndef NBSOAR_JOURNAL_H
#define NBSOAR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JOURNAL_SCHEMA_VERSION 1
#define JOURNAL_ID_SIZE 32   /* job ids: "20261122T063149Z-1a2b3c4d5e6f" + NUL */

enum journal_sync { JOURNAL_SYNC_FULL = 0, JOURNAL_SYNC_NORMAL = 1 };

struct journal_options {
    enum journal_sync sync;
    int busy_timeout_ms;     /* 0: 5000 */
    int read_only;           /* for status/jobs listings: no schema creation */
};

struct journal;

/* Opens (creating the file and schema when needed).  opt may be NULL. */
struct journal *journal_open(const char *path, const struct journal_options *opt,
                             char *err, size_t errlen);
void journal_close(struct journal *j);
/* Replaces the clock (tests); fn(arg) returns ms since the epoch. */
void journal_set_clock(struct journal *j, int64_t (*fn)(void *arg), void *arg);
int64_t journal_now(struct journal *j);

/* ---- events and jobs ---- */

/* A job to create.  Strings and parameters are borrowed during the call.
 * parameters are stored with every registered secret redacted: the worker
 * rebuilds the real values from the route and the event. */
struct journal_job_in {
    const char *route;            /* may be NULL (replay of a notebook) */
    const char *notebook;
    const json_t *parameters;     /* object or NULL */
    int retries;                  /* attempts after the first */
    long backoff_ms;              /* first retry delay; 0: 30 s */
    long backoff_max_ms;          /* cap; 0: 1 h */
};

enum journal_add_rc { JOURNAL_ERROR = -1, JOURNAL_INSERTED = 0, JOURNAL_DUPLICATE = 1 };

/* Writes the event and its jobs in one transaction.  source: the source
 * instance (NULL: event.source).  A duplicate writes nothing.  event_rowid
 * and ids (n_jobs entries) may be NULL. */
enum journal_add_rc journal_add_event(struct journal *j, const char *source, const json_t *event,
                                      const struct journal_job_in *jobs, size_t n_jobs,
                                      int64_t *event_rowid, char (*ids)[JOURNAL_ID_SIZE],
                                      char *err, size_t errlen);
/* More jobs for a journalled event (replay). */
int journal_add_jobs(struct journal *j, int64_t event_rowid, const struct journal_job_in *jobs,
                     size_t n_jobs, char (*ids)[JOURNAL_ID_SIZE], char *err, size_t errlen);

/* The event's dedup key: "id:<id>" or "sha256:<hex>".  OWNED: free(). */
char *journal_dedup_key(const json_t *event);

/* A claimed job; every pointer OWNED by the struct (journal_job_clear). */
struct journal_job {
    char id[JOURNAL_ID_SIZE];
    int64_t event_rowid;
    char *source;
    char *event_id;      /* the event's own id, or NULL */
    json_t *event;
    char *route;         /* NULL when none */
    char *notebook;
    json_t *parameters;  /* as stored (redacted), or NULL */
    int attempt;         /* 1 for the first run */
    int max_attempts;
};
void journal_job_clear(struct journal_job *job);

/* Takes the oldest queued job, or a retry_wait job that is due, and marks it
 * running.  Returns 1 (job filled), 0 (nothing to do) or -1. */
int journal_claim_job(struct journal *j, struct journal_job *job, char *err, size_t errlen);
/* When the next retry_wait job is due: 1 (*at filled), 0 (none) or -1. */
int journal_next_due(struct journal *j, int64_t *at, char *err, size_t errlen);

/* An operation a notebook emitted, for one sink.  op (borrowed) must have a
 * string "type". */
struct journal_op_in {
    int index;            /* position in the notebook's operations */
    const char *sink;
    const json_t *op;
};

enum journal_job_end { JOURNAL_JOB_SUCCEEDED = 0, JOURNAL_JOB_FAILED = 1 };

struct journal_job_result {
    enum journal_job_end status;
    const char *notebook_sha256;
    const char *output;
    const char *output_link;
    const char *error;           /* redacted before writing */
    const struct journal_op_in *ops;
    size_t n_ops;
};

/* Ends a running job and writes its operations in the same transaction, so
 * a finished job never lacks them. */
int journal_finish_job(struct journal *j, const char *job_id, const struct journal_job_result *res,
                       char *err, size_t errlen);

/* A transient failure: retry_wait with the next attempt after the backoff,
 * or dead when the job's retries are used up.  *dead (may be NULL) says
 * which; *next_at (may be NULL) when it runs again. */
int journal_schedule_retry(struct journal *j, const char *job_id, const char *error,
                           int *dead, int64_t *next_at, char *err, size_t errlen);

/* Delay before attempt `attempt + 1` after `attempt` failed (attempt >= 1):
 * base * 2^(attempt-1) capped at max, then "equal jitter": half of it fixed,
 * half scaled by u in [0, 1).  Pure, for tests. */
long journal_backoff_ms(int attempt, long base_ms, long max_ms, double u);

/* Puts a job back in the queue now (`nbsoar retry`); refused while running. */
int journal_requeue_job(struct journal *j, const char *job_id, char *err, size_t errlen);

/* ---- operations ---- */

/* Adds operations (outside journal_finish_job); an existing (key, sink)
 * is left as it is, so inserting twice is a no-op. */
int journal_add_operations(struct journal *j, const char *job_id, const struct journal_op_in *ops,
                           size_t n_ops, char *err, size_t errlen);

/* A claimed operation; pointers OWNED by the struct (journal_op_clear). */
struct journal_op {
    char *key;           /* idempotency key "<job id>:<index>" */
    char *job_id;
    int index;
    char *sink;
    char *type;
    json_t *body;
    int attempt;         /* 1 for the first try */
};
void journal_op_clear(struct journal_op *op);

/* Takes a due pending operation for `sink` (NULL: any sink) and marks it
 * applying.  Within a job and sink, operations go in index order: one is
 * offered only when every earlier one is applied or failed.  1, 0 or -1. */
int journal_claim_operation(struct journal *j, const char *sink, struct journal_op *op,
                            char *err, size_t errlen);
/* The sink confirmed: applied (result borrowed, may be NULL). */
int journal_operation_applied(struct journal *j, const char *key, const char *sink,
                              const json_t *result, char *err, size_t errlen);
/* The sink refused: retry_at > 0 puts it back to pending until then;
 * retry_at == 0 fails it for good. */
int journal_operation_failed(struct journal *j, const char *key, const char *sink,
                             const char *error, int64_t retry_at, char *err, size_t errlen);

/* ---- recovery, cursors, quarantine ---- */

/* Crashes of the host tolerated during one job beyond its own attempts. */
#define JOURNAL_CRASH_ALLOWANCE 3

struct journal_recovery {
    long jobs_requeued;      /* running -> queued (the attempt is not refunded) */
    long jobs_dead;          /* running for attempts + JOURNAL_CRASH_ALLOWANCE -> dead */
    long ops_reset;          /* applying -> pending (the sink dedups by key) */
};
int journal_recover(struct journal *j, struct journal_recovery *out, char *err, size_t errlen);

/* *value OWNED: free(); NULL when unset (returns 0 either way). */
int journal_cursor_get(struct journal *j, const char *source, const char *key, char **value,
                       char *err, size_t errlen);
int journal_cursor_set(struct journal *j, const char *source, const char *key, const char *value,
                       char *err, size_t errlen);

/* Keeps (the first 64 KiB of) input that could not become an event. */
int journal_quarantine(struct journal *j, const char *source, const void *data, size_t len,
                       const char *reason, char *err, size_t errlen);

/* ---- queries for `nbsoar status` and `nbsoar jobs` ---- */

struct journal_stats {
    long events, quarantined;
    long queued, running, retry_wait, succeeded, failed, dead;
    long ops_pending, ops_applying, ops_applied, ops_failed;
};
int journal_stats(struct journal *j, struct journal_stats *out, char *err, size_t errlen);

/* {"route": {"queued": n, "running": n, ...}, ...}; jobs without a route
 * count under "". *out OWNED. */
int journal_route_counts(struct journal *j, json_t **out, char *err, size_t errlen);

struct journal_job_filter {
    const char *status;      /* NULL: any; "failed" also lists dead jobs */
    const char *event_id;    /* the event's own id, or NULL */
    const char *route;       /* NULL: any */
    int limit;               /* 0: 100 */
};
/* Newest first: array of {id, event_id, source, route, notebook, status,
 * attempts, created_at, started_at, finished_at, duration_ms,
 * next_attempt_at, output, output_link, error, operations{status: n}}.
 * *out OWNED. */
int journal_list_jobs(struct journal *j, const struct journal_job_filter *f, json_t **out,
                      char *err, size_t errlen);

/* The journalled event whose own id (or row id, as decimal text) is `id`:
 * 1 (filled; *event OWNED), 0 (none) or -1. */
int journal_find_event(struct journal *j, const char *id, int64_t *rowid, json_t **event,
                       char *err, size_t errlen);

#endif
