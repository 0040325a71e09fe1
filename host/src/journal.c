/* Journal: opening, schema, helpers, events, cursors, quarantine, recovery. */
#include "journal_internal.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redact.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define QUARANTINE_MAX (64 * 1024)

static const char *const schema_v1 =
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  dedup_key TEXT NOT NULL,"
    "  event_id TEXT,"
    "  body TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  UNIQUE (source, dedup_key));"
    "CREATE INDEX events_event_id ON events(event_id);"
    "CREATE TABLE jobs ("
    "  id TEXT PRIMARY KEY,"
    "  event INTEGER NOT NULL REFERENCES events(id),"
    "  route TEXT,"
    "  notebook TEXT NOT NULL,"
    "  notebook_sha256 TEXT,"
    "  parameters TEXT,"
    "  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed',"
    "                                         'retry_wait', 'dead')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL,"
    "  backoff_ms INTEGER NOT NULL,"
    "  backoff_max_ms INTEGER NOT NULL,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  started_at INTEGER,"
    "  finished_at INTEGER,"
    "  duration_ms INTEGER,"
    "  output TEXT,"
    "  output_link TEXT,"
    "  error TEXT);"
    "CREATE INDEX jobs_due ON jobs(status, next_attempt_at);"
    "CREATE INDEX jobs_event ON jobs(event);"
    "CREATE TABLE operations ("
    "  idempotency_key TEXT NOT NULL,"
    "  sink TEXT NOT NULL,"
    "  job TEXT NOT NULL REFERENCES jobs(id),"
    "  idx INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'applying', 'applied', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  applied_at INTEGER,"
    "  result TEXT,"
    "  error TEXT,"
    "  PRIMARY KEY (idempotency_key, sink)) WITHOUT ROWID;"
    "CREATE INDEX operations_due ON operations(status, next_attempt_at);"
    "CREATE INDEX operations_job ON operations(job, sink, idx);"
    "CREATE TABLE cursors ("
    "  source TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (source, key)) WITHOUT ROWID;"
    "CREATE TABLE quarantine ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  data BLOB,"
    "  size INTEGER NOT NULL,"
    "  received_at INTEGER NOT NULL);"
    "PRAGMA user_version = 1;";

int jr_fail(struct journal *j, char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "journal %s: %s: %s", j->path, what, sqlite3_errmsg(j->db));
    return -1;
}

sqlite3_stmt *jr_prepare(struct journal *j, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
        jr_fail(j, err, errlen, "prepare");
        return NULL;
    }
    return st;
}

static int exec_sql(struct journal *j, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return jr_fail(j, err, errlen, sql);
    return 0;
}

int jr_begin(struct journal *j, char *err, size_t errlen)
{
    return exec_sql(j, "BEGIN IMMEDIATE", err, errlen);
}

int jr_commit(struct journal *j, char *err, size_t errlen)
{
    if (exec_sql(j, "COMMIT", err, errlen) != 0) {
        jr_rollback(j);
        return -1;
    }
    return 0;
}

void jr_rollback(struct journal *j)
{
    if (!sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

void jr_bind_text(sqlite3_stmt *st, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col);
}

void jr_bind_json(sqlite3_stmt *st, int col, const json_t *v)
{
    char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (s != NULL)
        sqlite3_bind_text(st, col, s, -1, free);
    else
        sqlite3_bind_null(st, col);
}

void jr_bind_redacted(sqlite3_stmt *st, int col, const char *s)
{
    char *r = redact_dup(s);
    if (r != NULL)
        sqlite3_bind_text(st, col, r, -1, free);
    else
        sqlite3_bind_null(st, col);
}

char *jr_column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s != NULL ? strdup((const char *)s) : NULL;
}

json_t *jr_column_json(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s != NULL ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
}

static int64_t realtime_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void journal_set_clock(struct journal *j, int64_t (*fn)(void *arg), void *arg)
{
    j->clock = fn != NULL ? fn : realtime_ms;
    j->clock_arg = arg;
}

int64_t journal_now(struct journal *j)
{
    return j->clock(j->clock_arg);
}

static int pragma_setup(struct journal *j, const struct journal_options *opt,
                        char *err, size_t errlen)
{
    sqlite3_busy_timeout(j->db, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms
                                                          : DEFAULT_BUSY_TIMEOUT_MS);
    if (opt->read_only)
        return 0;
    sqlite3_stmt *st = jr_prepare(j, "PRAGMA journal_mode = WAL", err, errlen);
    if (st == NULL)
        return -1;
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!ok) {
        snprintf(err, errlen, "journal %s: cannot switch to WAL mode (a network file system?)",
                 j->path);
        return -1;
    }
    const char *sync = opt->sync == JOURNAL_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
                                                        : "PRAGMA synchronous = FULL";
    return exec_sql(j, sync, err, errlen) == 0 &&
           exec_sql(j, "PRAGMA foreign_keys = ON", err, errlen) == 0 ? 0 : -1;
}

static int schema_setup(struct journal *j, int read_only, char *err, size_t errlen)
{
    sqlite3_stmt *st = jr_prepare(j, "PRAGMA user_version", err, errlen);
    if (st == NULL)
        return -1;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version == JOURNAL_SCHEMA_VERSION)
        return 0;
    if (version > JOURNAL_SCHEMA_VERSION || version < 0) {
        snprintf(err, errlen, "journal %s: schema version %d; this nbsoar knows %d "
                 "(written by a newer nbsoar?)", j->path, version, JOURNAL_SCHEMA_VERSION);
        return -1;
    }
    if (read_only) {
        snprintf(err, errlen, "journal %s: empty (has the daemon run yet?)", j->path);
        return -1;
    }
    if (jr_begin(j, err, errlen) != 0)
        return -1;
    /* Another process may have created it while we waited for the lock. */
    st = jr_prepare(j, "PRAGMA user_version", err, errlen);
    version = st != NULL && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version == 0 && exec_sql(j, schema_v1, err, errlen) != 0) {
        jr_rollback(j);
        return -1;
    }
    return jr_commit(j, err, errlen);
}

struct journal *journal_open(const char *path, const struct journal_options *opt,
                             char *err, size_t errlen)
{
    static const struct journal_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    struct journal *j = calloc(1, sizeof(*j));
    if (j == NULL || (j->path = strdup(path)) == NULL) {
        snprintf(err, errlen, "journal %s: out of memory", path);
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    journal_set_clock(j, NULL, NULL);
    int flags = opt->read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &j->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        jr_fail(j, err, errlen, "open");
        journal_close(j);
        return NULL;
    }
    sqlite3_extended_result_codes(j->db, 1);
    if (pragma_setup(j, opt, err, errlen) != 0 ||
        schema_setup(j, opt->read_only, err, errlen) != 0) {
        journal_close(j);
        return NULL;
    }
    return j;
}

void journal_close(struct journal *j)
{
    if (j == NULL)
        return;
    sqlite3_close_v2(j->db);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j);
}

/* ---- events ---- */

static char *sha256_hex(const char *data, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1)
        return NULL;
    char *hex = malloc(md_len * 2 + 1);
    for (unsigned int i = 0; hex != NULL && i < md_len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    return hex;
}

char *journal_dedup_key(const json_t *event)
{
    const json_t *id = json_object_get(event, "id");
    char *key = NULL;
    if (json_is_string(id) && json_string_length(id) > 0) {
        if (asprintf(&key, "id:%s", json_string_value(id)) < 0)
            return NULL;
        return key;
    }
    if (json_is_integer(id)) {
        if (asprintf(&key, "id:%" JSON_INTEGER_FORMAT, json_integer_value(id)) < 0)
            return NULL;
        return key;
    }
    /* No id: the same content is the same event, whatever its key order. */
    char *canon = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *hex = canon != NULL ? sha256_hex(canon, strlen(canon)) : NULL;
    if (hex != NULL && asprintf(&key, "sha256:%s", hex) < 0)
        key = NULL;
    free(canon);
    free(hex);
    return key;
}

static const char *event_own_id(const json_t *event, char *buf, size_t size)
{
    const json_t *id = json_object_get(event, "id");
    if (json_is_string(id) && json_string_length(id) > 0)
        return json_string_value(id);
    if (json_is_integer(id)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        return buf;
    }
    return NULL;
}

enum journal_add_rc journal_add_event(struct journal *j, const char *source, const json_t *event,
                                      const struct journal_job_in *jobs, size_t n_jobs,
                                      int64_t *event_rowid, char (*ids)[JOURNAL_ID_SIZE],
                                      char *err, size_t errlen)
{
    if (!json_is_object(event)) {
        snprintf(err, errlen, "an event must be a JSON object");
        return JOURNAL_ERROR;
    }
    if (source == NULL)
        source = json_string_value(json_object_get(event, "source"));
    if (source == NULL)
        source = "unknown";
    char *key = journal_dedup_key(event);
    if (key == NULL) {
        snprintf(err, errlen, "cannot compute the event's dedup key (out of memory)");
        return JOURNAL_ERROR;
    }
    char idbuf[32];
    enum journal_add_rc rc = JOURNAL_ERROR;
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = NULL;
    if (jr_begin(j, err, errlen) != 0)
        goto out;
    st = jr_prepare(j, "INSERT INTO events (source, dedup_key, event_id, body, received_at) "
                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", err, errlen);
    if (st == NULL)
        goto rollback;
    jr_bind_text(st, 1, source);
    jr_bind_text(st, 2, key);
    jr_bind_text(st, 3, event_own_id(event, idbuf, sizeof(idbuf)));
    jr_bind_json(st, 4, event);
    sqlite3_bind_int64(st, 5, journal_now(j));
    if (sqlite3_step(st) != SQLITE_DONE) {
        jr_fail(j, err, errlen, "insert event");
        goto rollback;
    }
    if (sqlite3_changes(j->db) == 0) {
        jr_rollback(j);
        rc = JOURNAL_DUPLICATE;
        goto out;
    }
    int64_t rowid = sqlite3_last_insert_rowid(j->db);
    if (jr_insert_jobs(j, rowid, jobs, n_jobs, ids, err, errlen) != 0)
        goto rollback;
    if (jr_commit(j, err, errlen) != 0)
        goto out;
    if (event_rowid != NULL)
        *event_rowid = rowid;
    rc = JOURNAL_INSERTED;
    goto out;
rollback:
    jr_rollback(j);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    free(key);
    return rc;
}

int journal_add_jobs(struct journal *j, int64_t event_rowid, const struct journal_job_in *jobs,
                     size_t n_jobs, char (*ids)[JOURNAL_ID_SIZE], char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    int rc = jr_begin(j, err, errlen);
    if (rc == 0 && jr_insert_jobs(j, event_rowid, jobs, n_jobs, ids, err, errlen) != 0) {
        jr_rollback(j);
        rc = -1;
    }
    if (rc == 0)
        rc = jr_commit(j, err, errlen);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

/* ---- cursors and quarantine ---- */

int journal_cursor_get(struct journal *j, const char *source, const char *key, char **value,
                       char *err, size_t errlen)
{
    *value = NULL;
    pthread_mutex_lock(&j->lock);
    int rc = -1;
    sqlite3_stmt *st = jr_prepare(j, "SELECT value FROM cursors WHERE source = ? AND key = ?",
                                  err, errlen);
    if (st != NULL) {
        jr_bind_text(st, 1, source);
        jr_bind_text(st, 2, key);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            *value = jr_column_dup(st, 0);
        rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "cursor");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_cursor_set(struct journal *j, const char *source, const char *key, const char *value,
                       char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    int rc = -1;
    sqlite3_stmt *st = jr_prepare(j, "INSERT INTO cursors (source, key, value, updated_at) "
                                     "VALUES (?, ?, ?, ?) ON CONFLICT (source, key) DO UPDATE "
                                     "SET value = excluded.value, updated_at = excluded.updated_at",
                                  err, errlen);
    if (st != NULL) {
        jr_bind_text(st, 1, source);
        jr_bind_text(st, 2, key);
        jr_bind_text(st, 3, value);
        sqlite3_bind_int64(st, 4, journal_now(j));
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "cursor");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_quarantine(struct journal *j, const char *source, const void *data, size_t len,
                       const char *reason, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    int rc = -1;
    sqlite3_stmt *st = jr_prepare(j, "INSERT INTO quarantine (source, reason, data, size, "
                                     "received_at) VALUES (?, ?, ?, ?, ?)", err, errlen);
    if (st != NULL) {
        jr_bind_text(st, 1, source != NULL ? source : "unknown");
        jr_bind_redacted(st, 2, reason);
        sqlite3_bind_blob(st, 3, data, (int)(len < QUARANTINE_MAX ? len : QUARANTINE_MAX),
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
        sqlite3_bind_int64(st, 5, journal_now(j));
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "quarantine");
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

/* ---- recovery ---- */

static long run_changes(struct journal *j, const char *sql, char *err, size_t errlen)
{
    if (exec_sql(j, sql, err, errlen) != 0)
        return -1;
    return (long)sqlite3_changes(j->db);
}

int journal_recover(struct journal *j, struct journal_recovery *out, char *err, size_t errlen)
{
    struct journal_recovery r = {0};
    pthread_mutex_lock(&j->lock);
    int rc = jr_begin(j, err, errlen);
    /* A host crash does not use up the job's retries, but a job that was
     * running through every allowed attempt plus a few more likely brings
     * the host down itself: stop it. */
    char sql[256];
    snprintf(sql, sizeof(sql), "UPDATE jobs SET status = 'dead', error = 'the host stopped "
             "during this job %d times more than its attempts' WHERE status = 'running' "
             "AND attempts >= max_attempts + %d", JOURNAL_CRASH_ALLOWANCE,
             JOURNAL_CRASH_ALLOWANCE);
    if (rc == 0)
        r.jobs_dead = run_changes(j, sql, err, errlen);
    if (rc == 0 && r.jobs_dead >= 0)
        r.jobs_requeued = run_changes(j, "UPDATE jobs SET status = 'queued', started_at = NULL "
                                         "WHERE status = 'running'", err, errlen);
    if (rc == 0 && r.jobs_dead >= 0 && r.jobs_requeued >= 0)
        r.ops_reset = run_changes(j, "UPDATE operations SET status = 'pending' "
                                     "WHERE status = 'applying'", err, errlen);
    if (rc != 0 || r.jobs_dead < 0 || r.jobs_requeued < 0 || r.ops_reset < 0) {
        jr_rollback(j);
        rc = -1;
    } else {
        rc = jr_commit(j, err, errlen);
    }
    pthread_mutex_unlock(&j->lock);
    if (rc == 0 && out != NULL)
        *out = r;
    return rc;
}
