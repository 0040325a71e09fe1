/* Journal: operations, each applied at most once per (idempotency key, sink)
 * as far as the journal knows; the key travels to the sink so a retry after
 * a crash between "sink confirmed" and "marked applied" is caught there. */
#include "journal_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jr_insert_ops(struct journal *j, const char *job_id, const struct journal_op_in *ops,
                  size_t n_ops, char *err, size_t errlen)
{
    if (n_ops == 0)
        return 0;
    sqlite3_stmt *st = jr_prepare(j,
        "INSERT INTO operations (idempotency_key, sink, job, idx, type, body, status, "
        "  next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
        "ON CONFLICT (idempotency_key, sink) DO NOTHING", err, errlen);
    if (st == NULL)
        return -1;
    int64_t now = journal_now(j);
    for (size_t i = 0; i < n_ops; i++) {
        const char *type = json_string_value(json_object_get(ops[i].op, "type"));
        if (type == NULL || ops[i].sink == NULL) {
            snprintf(err, errlen, "job %s: operation %d has no %s", job_id, ops[i].index,
                     type == NULL ? "string \"type\"" : "sink");
            sqlite3_finalize(st);
            return -1;
        }
        char key[JOURNAL_ID_SIZE + 16];
        snprintf(key, sizeof(key), "%s:%d", job_id, ops[i].index);
        sqlite3_reset(st);
        jr_bind_text(st, 1, key);
        jr_bind_text(st, 2, ops[i].sink);
        jr_bind_text(st, 3, job_id);
        sqlite3_bind_int(st, 4, ops[i].index);
        jr_bind_text(st, 5, type);
        jr_bind_json(st, 6, ops[i].op);
        sqlite3_bind_int64(st, 7, now);
        sqlite3_bind_int64(st, 8, now);
        if (sqlite3_step(st) != SQLITE_DONE) {
            jr_fail(j, err, errlen, "insert operation");
            sqlite3_finalize(st);
            return -1;
        }
    }
    sqlite3_finalize(st);
    return 0;
}

int journal_add_operations(struct journal *j, const char *job_id, const struct journal_op_in *ops,
                           size_t n_ops, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    int rc = jr_begin(j, err, errlen);
    if (rc == 0 && jr_insert_ops(j, job_id, ops, n_ops, err, errlen) != 0) {
        jr_rollback(j);
        rc = -1;
    } else if (rc == 0) {
        rc = jr_commit(j, err, errlen);
    }
    pthread_mutex_unlock(&j->lock);
    return rc;
}

void journal_op_clear(struct journal_op *op)
{
    free(op->key);
    free(op->job_id);
    free(op->sink);
    free(op->type);
    json_decref(op->body);
    memset(op, 0, sizeof(*op));
}

int journal_claim_operation(struct journal *j, const char *sink, struct journal_op *op,
                            char *err, size_t errlen)
{
    memset(op, 0, sizeof(*op));
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "UPDATE operations SET status = 'applying', attempts = attempts + 1 "
        "WHERE (idempotency_key, sink) = ("
        "  SELECT o.idempotency_key, o.sink FROM operations o "
        "  WHERE o.status = 'pending' AND o.next_attempt_at <= ?1 "
        "    AND (?2 IS NULL OR o.sink = ?2) "
        "    AND NOT EXISTS (SELECT 1 FROM operations p WHERE p.job = o.job "
        "      AND p.sink = o.sink AND p.idx < o.idx AND p.status IN ('pending', 'applying')) "
        "  ORDER BY o.next_attempt_at, o.job, o.idx LIMIT 1) "
        "RETURNING idempotency_key, job, idx, sink, type, body, attempts", err, errlen);
    int rc = -1;
    if (st != NULL) {
        sqlite3_bind_int64(st, 1, journal_now(j));
        jr_bind_text(st, 2, sink);
        int step = sqlite3_step(st);
        rc = 0;
        if (step == SQLITE_ROW) {
            op->key = jr_column_dup(st, 0);
            op->job_id = jr_column_dup(st, 1);
            op->index = sqlite3_column_int(st, 2);
            op->sink = jr_column_dup(st, 3);
            op->type = jr_column_dup(st, 4);
            op->body = jr_column_json(st, 5);
            op->attempt = sqlite3_column_int(st, 6);
            step = sqlite3_step(st);
            rc = 1;
        }
        if (step != SQLITE_DONE) {
            rc = jr_fail(j, err, errlen, "claim operation");
            journal_op_clear(op);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

/* Moves an applying operation on; only an applying one, so a stale worker
 * cannot overwrite what recovery or another worker did. */
static int end_op(struct journal *j, const char *key, const char *sink, const char *status,
                  const json_t *result, const char *error, int64_t next_at,
                  char *err, size_t errlen)
{
    pthread_mutex_lock(&j->lock);
    sqlite3_stmt *st = jr_prepare(j,
        "UPDATE operations SET status = ?1, result = ?2, error = ?3, next_attempt_at = ?4, "
        "  applied_at = CASE WHEN ?1 = 'applied' THEN ?5 ELSE applied_at END "
        "WHERE idempotency_key = ?6 AND sink = ?7 AND status = 'applying'", err, errlen);
    int rc = -1;
    if (st != NULL) {
        int64_t now = journal_now(j);
        jr_bind_text(st, 1, status);
        jr_bind_json(st, 2, result);
        jr_bind_redacted(st, 3, error);
        sqlite3_bind_int64(st, 4, next_at > 0 ? next_at : now);
        sqlite3_bind_int64(st, 5, now);
        jr_bind_text(st, 6, key);
        jr_bind_text(st, 7, sink);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : jr_fail(j, err, errlen, "update operation");
        if (rc == 0 && sqlite3_changes(j->db) == 0) {
            snprintf(err, errlen, "operation %s for %s is not being applied", key, sink);
            rc = -1;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->lock);
    return rc;
}

int journal_operation_applied(struct journal *j, const char *key, const char *sink,
                              const json_t *result, char *err, size_t errlen)
{
    return end_op(j, key, sink, "applied", result, NULL, 0, err, errlen);
}

int journal_operation_failed(struct journal *j, const char *key, const char *sink,
                             const char *error, int64_t retry_at, char *err, size_t errlen)
{
    return end_op(j, key, sink, retry_at > 0 ? "pending" : "failed", NULL, error, retry_at,
                  err, errlen);
}
