/* Private to journal*.c: the handle and small SQLite helpers. */
#ifndef NBSOAR_JOURNAL_INTERNAL_H
#define NBSOAR_JOURNAL_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "journal.h"

struct journal {
    sqlite3 *db;
    pthread_mutex_t lock;
    int64_t (*clock)(void *arg);
    void *clock_arg;
    char *path;
};

/* Fills err with "journal PATH: what: sqlite's message"; returns -1. */
int jr_fail(struct journal *j, char *err, size_t errlen, const char *what);

/* Prepares sql; on failure fills err and returns NULL. */
sqlite3_stmt *jr_prepare(struct journal *j, const char *sql, char *err, size_t errlen);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK; the caller holds j->lock. */
int jr_begin(struct journal *j, char *err, size_t errlen);
int jr_commit(struct journal *j, char *err, size_t errlen);
void jr_rollback(struct journal *j);

/* Binds a string or NULL. */
void jr_bind_text(sqlite3_stmt *st, int col, const char *s);
/* Binds compact JSON (keys in their order), or NULL for a NULL value. */
void jr_bind_json(sqlite3_stmt *st, int col, const json_t *v);
/* Binds text with registered secrets redacted. */
void jr_bind_redacted(sqlite3_stmt *st, int col, const char *s);
/* Copy of a text column, or NULL. */
char *jr_column_dup(sqlite3_stmt *st, int col);
/* Parsed JSON column, or NULL. */
json_t *jr_column_json(sqlite3_stmt *st, int col);

/* Inserts jobs for event_rowid; the caller holds the lock and a transaction. */
int jr_insert_jobs(struct journal *j, int64_t event_rowid, const struct journal_job_in *jobs,
                   size_t n_jobs, char (*ids)[JOURNAL_ID_SIZE], char *err, size_t errlen);
/* Inserts operations; same conditions. */
int jr_insert_ops(struct journal *j, const char *job_id, const struct journal_op_in *ops,
                  size_t n_ops, char *err, size_t errlen);

#endif
