#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "redact.h"

static char dir[64];
static char path[128];
static char err[512];

static void make_dir(void)
{
    snprintf(dir, sizeof(dir), "/tmp/nbsoar-journal-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/journal.db", dir);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(journal, .init = make_dir, .fini = remove_dir);

static struct journal *open_ok(void)
{
    struct journal_options opt = {.sync = JOURNAL_SYNC_NORMAL};
    struct journal *j = journal_open(path, &opt, err, sizeof(err));
    cr_assert_not_null(j, "open: %s", err);
    return j;
}

static int64_t fake_now = 1795594442000;
static int64_t fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static json_t *event(const char *json)
{
    json_t *e = json_loads(json, 0, NULL);
    cr_assert_not_null(e);
    return e;
}

static const struct journal_job_in one_job = {.route = "gt", .notebook = "gt.ipynb",
                                              .retries = 2, .backoff_ms = 1000,
                                              .backoff_max_ms = 60000};

/* Reads one integer with plain SQLite, to check what is on disk. */
static long sql_long(const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    long v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

Test(journal, creates_a_versioned_wal_schema_and_refuses_a_newer_one)
{
    struct journal *j = open_ok();
    journal_close(j);
    cr_assert_eq(sql_long("PRAGMA user_version"), JOURNAL_SCHEMA_VERSION);
    j = open_ok();
    journal_close(j);
    sqlite3 *db;
    sqlite3_open(path, &db);
    char *mode = NULL;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    sqlite3_step(st);
    mode = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    cr_assert_str_eq(mode, "wal");
    free(mode);
    sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL);
    sqlite3_close(db);
    cr_assert_null(journal_open(path, NULL, err, sizeof(err)));
    cr_assert(strstr(err, "schema version 7; this nbsoar knows 1") != NULL, "%s", err);
}

Test(journal, dedup_by_source_and_event_id)
{
    struct journal *j = open_ok();
    json_t *e = event("{\"id\":\"n1\",\"source\":\"splunk\",\"title\":\"a\"}");
    json_t *e2 = event("{\"id\":\"n1\",\"source\":\"splunk\",\"title\":\"changed\"}");
    cr_assert_eq(journal_add_event(j, "splunk-prod", e, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_INSERTED, "%s", err);
    cr_assert_eq(journal_add_event(j, "splunk-prod", e2, &one_job, 1, NULL, NULL, err,
                                   sizeof(err)), JOURNAL_DUPLICATE);
    cr_assert_eq(journal_add_event(j, "splunk-test", e, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_INSERTED, "another source may reuse the id");
    journal_close(j);
    cr_assert_eq(sql_long("SELECT count(*) FROM jobs"), 0, "a duplicate writes no job");
    json_decref(e);
    json_decref(e2);
}

Test(journal, dedup_by_hash_of_canonical_json_without_id)
{
    struct journal *j = open_ok();
    json_t *a = event("{\"source\":\"edr\",\"fields\":{\"x\":1,\"y\":[1,2]},\"title\":\"t\"}");
    json_t *b = event("{\"title\":\"t\",\"fields\":{\"y\":[1,2],\"x\":1},\"source\":\"edr\"}");
    json_t *c = event("{\"title\":\"t\",\"fields\":{\"y\":[2,1],\"x\":1},\"source\":\"edr\"}");
    char *ka = journal_dedup_key(a), *kb = journal_dedup_key(b);
    cr_assert_str_eq(ka, kb, "key order does not change the hash");
    cr_assert_eq(strncmp(ka, "sha256:", 7), 0);
    cr_assert_eq(strlen(ka), 7 + 64);
    cr_assert_eq(journal_add_event(j, NULL, a, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_INSERTED);
    cr_assert_eq(journal_add_event(j, NULL, b, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_DUPLICATE);
    cr_assert_eq(journal_add_event(j, NULL, c, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_INSERTED, "list order is content");
    free(ka);
    free(kb);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    journal_close(j);
}

Test(journal, claim_then_finish_with_operations_and_redacted_parameters)
{
    redact_add("hunter2-secret-token");
    struct journal *j = open_ok();
    json_t *e = event("{\"id\":\"n1\",\"source\":\"splunk\"}");
    json_t *params = event("{\"user\":\"svc\",\"api_key\":\"hunter2-secret-token\"}");
    struct journal_job_in jobs[2] = {one_job, one_job};
    jobs[0].parameters = params;
    jobs[1].notebook = "second.ipynb";
    char ids[2][JOURNAL_ID_SIZE];
    int64_t rowid = 0;
    cr_assert_eq(journal_add_event(j, NULL, e, jobs, 2, &rowid, ids, err, sizeof(err)),
                 JOURNAL_INSERTED, "%s", err);
    cr_assert_neq(strcmp(ids[0], ids[1]), 0);
    cr_assert_eq(strlen(ids[0]), 29, "id %s", ids[0]);

    struct journal_job job;
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1, "%s", err);
    cr_assert_str_eq(job.id, ids[0]);
    cr_assert_eq(job.attempt, 1);
    cr_assert_eq(job.max_attempts, 3);
    cr_assert_str_eq(job.source, "splunk");
    cr_assert_str_eq(job.event_id, "n1");
    cr_assert_str_eq(job.route, "gt");
    cr_assert_str_eq(json_string_value(json_object_get(job.event, "id")), "n1");
    cr_assert_str_eq(json_string_value(json_object_get(job.parameters, "api_key")), "***");

    json_t *op0 = event("{\"type\":\"AddTagToCase\",\"tag\":\"gt\"}");
    json_t *op1 = event("{\"type\":\"CreateTask\",\"title\":\"x\"}");
    struct journal_op_in ops[3] = {{0, "thehive", op0}, {1, "thehive", op1}, {0, "file", op0}};
    struct journal_job_result res = {.status = JOURNAL_JOB_SUCCEEDED, .notebook_sha256 = "abc",
                                     .output = "/out/x.ipynb", .ops = ops, .n_ops = 3};
    cr_assert_eq(journal_finish_job(j, job.id, &res, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(journal_finish_job(j, job.id, &res, err, sizeof(err)), -1,
                 "a finished job cannot finish again");
    journal_job_clear(&job);

    struct journal_stats s;
    cr_assert_eq(journal_stats(j, &s, err, sizeof(err)), 0);
    cr_assert_eq(s.events, 1);
    cr_assert_eq(s.succeeded, 1);
    cr_assert_eq(s.queued, 1);
    cr_assert_eq(s.ops_pending, 3);
    journal_close(j);
    cr_assert_eq(sql_long("SELECT count(*) FROM jobs WHERE parameters LIKE '%hunter2%'"), 0);
    cr_assert_eq(sql_long("SELECT count(*) FROM operations WHERE idempotency_key LIKE '%:1'"), 1);
    json_decref(e);
    json_decref(params);
    json_decref(op0);
    json_decref(op1);
    redact_clear();
}

Test(journal, backoff_doubles_with_jitter_and_caps)
{
    cr_assert_eq(journal_backoff_ms(1, 1000, 60000, 0.0), 500);
    cr_assert_eq(journal_backoff_ms(1, 1000, 60000, 0.5), 750);
    cr_assert_eq(journal_backoff_ms(2, 1000, 60000, 0.0), 1000);
    cr_assert_eq(journal_backoff_ms(3, 1000, 60000, 0.0), 2000);
    cr_assert_lt(journal_backoff_ms(3, 1000, 60000, 0.999999), 4000);
    cr_assert_eq(journal_backoff_ms(30, 1000, 60000, 0.0), 30000, "capped at max");
    cr_assert_lt(journal_backoff_ms(30, 1000, 60000, 1.0), 60000);
}

Test(journal, retry_waits_for_the_backoff_then_dies_after_the_last_attempt)
{
    struct journal *j = open_ok();
    journal_set_clock(j, fake_clock, NULL);
    json_t *e = event("{\"id\":\"r1\",\"source\":\"s\"}");
    cr_assert_eq(journal_add_event(j, NULL, e, &one_job, 1, NULL, NULL, err, sizeof(err)),
                 JOURNAL_INSERTED);
    struct journal_job job;
    long base = one_job.backoff_ms;
    for (int attempt = 1; attempt <= 3; attempt++) {
        cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1, "attempt %d", attempt);
        cr_assert_eq(job.attempt, attempt);
        int dead = -1;
        int64_t next_at = 0;
        cr_assert_eq(journal_schedule_retry(j, job.id, "kernel died", &dead, &next_at,
                                            err, sizeof(err)), 0, "%s", err);
        journal_job_clear(&job);
        if (attempt == 3) {
            cr_assert_eq(dead, 1, "retries = 2 allows 3 attempts");
            break;
        }
        cr_assert_eq(dead, 0);
        long delay = (long)(next_at - fake_now);
        long full = base << (attempt - 1);
        cr_assert(delay >= full / 2 && delay < full, "attempt %d delay %ld", attempt, delay);
        cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 0, "not due yet");
        int64_t due;
        cr_assert_eq(journal_next_due(j, &due, err, sizeof(err)), 1);
        cr_assert_eq(due, next_at);
        fake_now = next_at;
    }
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 0, "dead jobs stay dead");
    json_t *list;
    struct journal_job_filter f = {.status = "failed"};
    cr_assert_eq(journal_list_jobs(j, &f, &list, err, sizeof(err)), 0);
    cr_assert_eq(json_array_size(list), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "status")),
                     "dead");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "error")),
                     "kernel died");
    json_decref(list);
    cr_assert_eq(journal_requeue_job(j, job.id[0] ? job.id : "x", err, sizeof(err)), -1);
    json_decref(e);
    journal_close(j);
}

/* Runs one job with `n` operations for sink "s" to completion. */
static void job_with_ops(struct journal *j, const char *id, int n, char job_id[JOURNAL_ID_SIZE])
{
    char buf[64];
    snprintf(buf, sizeof(buf), "{\"id\":\"%s\",\"source\":\"s\"}", id);
    json_t *e = event(buf);
    journal_add_event(j, NULL, e, &one_job, 1, NULL, NULL, err, sizeof(err));
    struct journal_job job;
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1, "%s", err);
    struct journal_op_in ops[8];
    json_t *bodies[8];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "{\"type\":\"AddTagToCase\",\"tag\":\"t%d\"}", i);
        bodies[i] = event(buf);
        ops[i] = (struct journal_op_in){i, "s", bodies[i]};
    }
    struct journal_job_result res = {.status = JOURNAL_JOB_SUCCEEDED, .ops = ops,
                                     .n_ops = (size_t)n};
    cr_assert_eq(journal_finish_job(j, job.id, &res, err, sizeof(err)), 0, "%s", err);
    memcpy(job_id, job.id, JOURNAL_ID_SIZE);
    for (int i = 0; i < n; i++)
        json_decref(bodies[i]);
    journal_job_clear(&job);
    json_decref(e);
}

Test(journal, operations_keep_order_and_a_second_insert_is_a_no_op)
{
    struct journal *j = open_ok();
    journal_set_clock(j, fake_clock, NULL);
    char job_id[JOURNAL_ID_SIZE];
    job_with_ops(j, "o1", 2, job_id);
    struct journal_op op;
    cr_assert_eq(journal_claim_operation(j, "s", &op, err, sizeof(err)), 1);
    char key0[64];
    snprintf(key0, sizeof(key0), "%s:0", job_id);
    cr_assert_str_eq(op.key, key0);
    cr_assert_str_eq(op.type, "AddTagToCase");
    cr_assert_eq(op.attempt, 1);
    struct journal_op other;
    cr_assert_eq(journal_claim_operation(j, "s", &other, err, sizeof(err)), 0,
                 "op 1 waits until op 0 is done");
    cr_assert_eq(journal_claim_operation(j, "nosuchsink", &other, err, sizeof(err)), 0);
    json_t *result = event("{\"id\":\"~123\"}");
    cr_assert_eq(journal_operation_applied(j, op.key, "s", result, err, sizeof(err)), 0);
    cr_assert_eq(journal_operation_applied(j, op.key, "s", result, err, sizeof(err)), -1,
                 "applied once only");
    journal_op_clear(&op);

    /* The same operations again (a re-run job): nothing changes. */
    json_t *again = event("{\"type\":\"AddTagToCase\",\"tag\":\"other\"}");
    struct journal_op_in dup = {0, "s", again};
    cr_assert_eq(journal_add_operations(j, job_id, &dup, 1, err, sizeof(err)), 0);
    struct journal_stats s;
    journal_stats(j, &s, err, sizeof(err));
    cr_assert_eq(s.ops_applied, 1);
    cr_assert_eq(s.ops_pending, 1);

    cr_assert_eq(journal_claim_operation(j, NULL, &op, err, sizeof(err)), 1);
    cr_assert_eq(op.index, 1);
    cr_assert_eq(journal_operation_failed(j, op.key, "s", "429", fake_now + 5000, err,
                                          sizeof(err)), 0);
    journal_op_clear(&op);
    cr_assert_eq(journal_claim_operation(j, "s", &op, err, sizeof(err)), 0, "waits for retry");
    fake_now += 5000;
    cr_assert_eq(journal_claim_operation(j, "s", &op, err, sizeof(err)), 1);
    cr_assert_eq(op.attempt, 2);
    cr_assert_eq(journal_operation_failed(j, op.key, "s", "bad request", 0, err, sizeof(err)), 0);
    journal_op_clear(&op);
    journal_stats(j, &s, err, sizeof(err));
    cr_assert_eq(s.ops_failed, 1);
    cr_assert_eq(s.ops_pending, 0);
    json_decref(result);
    json_decref(again);
    journal_close(j);
    cr_assert_eq(sql_long("SELECT count(*) FROM operations WHERE body LIKE '%other%'"), 0);
}

Test(journal, recover_requeues_running_jobs_and_resets_applying_operations)
{
    struct journal *j = open_ok();
    char job_id[JOURNAL_ID_SIZE];
    job_with_ops(j, "c1", 2, job_id);
    struct journal_op op;
    journal_claim_operation(j, "s", &op, err, sizeof(err));
    journal_operation_applied(j, op.key, "s", NULL, err, sizeof(err));
    journal_op_clear(&op);
    journal_claim_operation(j, "s", &op, err, sizeof(err));
    journal_op_clear(&op);
    json_t *e = event("{\"id\":\"c2\",\"source\":\"s\"}");
    journal_add_event(j, NULL, e, &one_job, 1, NULL, NULL, err, sizeof(err));
    struct journal_job job;
    journal_claim_job(j, &job, err, sizeof(err));
    journal_job_clear(&job);
    journal_close(j);

    j = open_ok();
    struct journal_recovery r;
    cr_assert_eq(journal_recover(j, &r, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(r.jobs_requeued, 1);
    cr_assert_eq(r.ops_reset, 1);
    cr_assert_eq(r.jobs_dead, 0);
    cr_assert_eq(journal_claim_operation(j, "s", &op, err, sizeof(err)), 1);
    cr_assert_eq(op.index, 1, "the applied op 0 is never offered again");
    journal_op_clear(&op);
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1);
    cr_assert_eq(job.attempt, 2);
    journal_job_clear(&job);
    json_decref(e);
    journal_close(j);
}

Test(journal, cursors_persist_across_reopen)
{
    struct journal *j = open_ok();
    char *v = (char *)"unset";
    cr_assert_eq(journal_cursor_get(j, "misp", "last", &v, err, sizeof(err)), 0);
    cr_assert_null(v);
    cr_assert_eq(journal_cursor_set(j, "misp", "last", "1700000000", err, sizeof(err)), 0);
    cr_assert_eq(journal_cursor_set(j, "misp", "last", "1700000100", err, sizeof(err)), 0);
    cr_assert_eq(journal_cursor_set(j, "splunk", "last", "other", err, sizeof(err)), 0);
    journal_close(j);
    j = open_ok();
    cr_assert_eq(journal_cursor_get(j, "misp", "last", &v, err, sizeof(err)), 0);
    cr_assert_str_eq(v, "1700000100");
    free(v);
    journal_close(j);
}

Test(journal, quarantine_route_counts_and_find_event)
{
    struct journal *j = open_ok();
    cr_assert_eq(journal_quarantine(j, "spool", "not json{", 9, "not JSON at line 1",
                                    err, sizeof(err)), 0);
    json_t *e = event("{\"id\":\"f1\",\"source\":\"s\"}");
    struct journal_job_in jobs[2] = {one_job, one_job};
    jobs[1].route = "phish";
    int64_t rowid;
    journal_add_event(j, NULL, e, jobs, 2, &rowid, NULL, err, sizeof(err));
    struct journal_stats s;
    journal_stats(j, &s, err, sizeof(err));
    cr_assert_eq(s.quarantined, 1);
    static char big[100000];
    memset(big, 'x', sizeof(big));
    cr_assert_eq(journal_quarantine(j, "webhook", big, sizeof(big), "over the size limit",
                                    err, sizeof(err)), 0);
    json_t *counts;
    cr_assert_eq(journal_route_counts(j, &counts, err, sizeof(err)), 0);
    char *txt = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(txt, "{\"gt\":{\"queued\":1},\"phish\":{\"queued\":1}}");
    free(txt);
    json_decref(counts);
    int64_t found_row;
    json_t *found;
    cr_assert_eq(journal_find_event(j, "f1", &found_row, &found, err, sizeof(err)), 1);
    cr_assert_eq(found_row, rowid);
    json_decref(found);
    cr_assert_eq(journal_find_event(j, "nope", &found_row, &found, err, sizeof(err)), 0);
    char rowtext[32];
    snprintf(rowtext, sizeof(rowtext), "%lld", (long long)rowid);
    cr_assert_eq(journal_find_event(j, rowtext, &found_row, &found, err, sizeof(err)), 1,
                 "the row id finds it too");
    json_decref(found);
    struct journal_job_filter f = {.event_id = "f1", .route = "phish"};
    json_t *list;
    journal_list_jobs(j, &f, &list, err, sizeof(err));
    cr_assert_eq(json_array_size(list), 1);
    json_decref(list);
    json_decref(e);
    journal_close(j);
    cr_assert_eq(sql_long("SELECT length(data) FROM quarantine WHERE source = 'webhook'"), 65536,
                 "only the first 64 KiB are kept");
    cr_assert_eq(sql_long("SELECT size FROM quarantine WHERE source = 'webhook'"), 100000);
}

struct claimer {
    struct journal *j;
    char (*seen)[JOURNAL_ID_SIZE];
    int n;
};

static void *claim_all(void *arg)
{
    struct claimer *c = arg;
    struct journal_job job;
    char e[256];
    while (journal_claim_job(c->j, &job, e, sizeof(e)) == 1) {
        memcpy(c->seen[c->n++], job.id, JOURNAL_ID_SIZE);
        struct journal_job_result res = {.status = JOURNAL_JOB_SUCCEEDED};
        journal_finish_job(c->j, job.id, &res, e, sizeof(e));
        journal_job_clear(&job);
    }
    return NULL;
}

Test(journal, threads_sharing_a_handle_never_claim_the_same_job)
{
    struct journal *j = open_ok();
    enum { N = 200, T = 4 };
    for (int i = 0; i < N; i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "{\"id\":\"t%d\",\"source\":\"s\"}", i);
        json_t *e = event(buf);
        journal_add_event(j, NULL, e, &one_job, 1, NULL, NULL, err, sizeof(err));
        json_decref(e);
    }
    static char seen[T][N][JOURNAL_ID_SIZE];
    struct claimer c[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        c[i] = (struct claimer){j, seen[i], 0};
        pthread_create(&th[i], NULL, claim_all, &c[i]);
    }
    int total = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        total += c[i].n;
    }
    cr_assert_eq(total, N, "every job claimed exactly once");
    struct journal_stats s;
    journal_stats(j, &s, err, sizeof(err));
    cr_assert_eq(s.succeeded, N);
    journal_close(j);
}

Test(journal, a_read_only_handle_sees_what_the_writer_committed)
{
    struct journal *w = open_ok();
    json_t *e = event("{\"id\":\"ro1\",\"source\":\"s\"}");
    journal_add_event(w, NULL, e, &one_job, 1, NULL, NULL, err, sizeof(err));
    struct journal_options ro = {.read_only = 1};
    struct journal *r = journal_open(path, &ro, err, sizeof(err));
    cr_assert_not_null(r, "%s", err);
    struct journal_stats s;
    cr_assert_eq(journal_stats(r, &s, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(s.queued, 1);
    cr_assert_eq(journal_add_event(r, NULL, e, NULL, 0, NULL, NULL, err, sizeof(err)),
                 JOURNAL_ERROR, "read-only refuses writes");
    journal_close(r);
    journal_close(w);
    json_decref(e);
}

Test(journal, replay_adds_jobs_and_retry_requeues_a_finished_job)
{
    struct journal *j = open_ok();
    json_t *e = event("{\"id\":\"rp1\",\"source\":\"s\"}");
    char ids[1][JOURNAL_ID_SIZE];
    int64_t rowid;
    journal_add_event(j, NULL, e, &one_job, 1, &rowid, ids, err, sizeof(err));
    struct journal_job job;
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1);
    cr_assert_eq(journal_requeue_job(j, job.id, err, sizeof(err)), -1, "running: refused");
    struct journal_job_result res = {.status = JOURNAL_JOB_FAILED, .error = "NameError: x"};
    cr_assert_eq(journal_finish_job(j, job.id, &res, err, sizeof(err)), 0, "%s", err);
    journal_job_clear(&job);
    cr_assert_eq(journal_requeue_job(j, ids[0], err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1);
    cr_assert_str_eq(job.id, ids[0]);
    cr_assert_eq(job.attempt, 2);
    journal_job_clear(&job);

    struct journal_job_in replay = {.route = "other", .notebook = "other.ipynb"};
    char rid[1][JOURNAL_ID_SIZE];
    cr_assert_eq(journal_add_jobs(j, rowid, &replay, 1, rid, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(journal_claim_job(j, &job, err, sizeof(err)), 1);
    cr_assert_str_eq(job.id, rid[0]);
    cr_assert_str_eq(job.event_id, "rp1");
    cr_assert_eq(job.max_attempts, 1, "no retries unless asked");
    journal_job_clear(&job);
    json_decref(e);
    journal_close(j);
}

Test(journal, a_job_that_keeps_taking_the_host_down_ends_dead)
{
    struct journal *j = open_ok();
    json_t *e = event("{\"id\":\"poison\",\"source\":\"s\"}");
    struct journal_job_in once = {.route = "r", .notebook = "n.ipynb", .retries = 0};
    journal_add_event(j, NULL, e, &once, 1, NULL, NULL, err, sizeof(err));
    struct journal_recovery r = {0};
    int claims = 0;
    struct journal_job job;
    while (journal_claim_job(j, &job, err, sizeof(err)) == 1) {
        claims++;
        journal_job_clear(&job);
        /* The host dies while the job runs; the next start recovers. */
        cr_assert_eq(journal_recover(j, &r, err, sizeof(err)), 0, "%s", err);
    }
    cr_assert_eq(claims, 1 + JOURNAL_CRASH_ALLOWANCE);
    cr_assert_eq(r.jobs_dead, 1);
    struct journal_stats s;
    journal_stats(j, &s, err, sizeof(err));
    cr_assert_eq(s.dead, 1);
    json_decref(e);
    journal_close(j);
}
