/* The file sink end to end: the built file.so driven through the fake host. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_host.h"
#include "test_files.h"

static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static char *dir;
static char out[4096];
static void *state;

static void setup(void)
{
    fh = fake_host_new("dry-run");
    plugin = fake_host_load_plugin("file", NULL);
    cr_assert_not_null(plugin);
    dir = test_tmpdir("nbsoar-file");
    snprintf(out, sizeof(out), "%s/ops.jsonl", dir);
    state = NULL;
}

static void teardown(void)
{
    fake_host_stop(&fh, plugin, &state);
    test_rmtree(dir);
    free(dir);
}

static int start(const char *path)
{
    char over[4200];
    snprintf(over, sizeof(over), "{\"path\": \"%s\"}", path);
    json_t *conf = fake_host_config(plugin, over);
    int rc = plugin->init(&fh->host, conf, &state);
    json_decref(conf);
    return rc;
}

static const struct nbsoar_job job = {
    .id = "job-42", .event_id = "edr-1", .route = "edr-triage", .notebook = "triage.ipynb", .attempt = 1,
};

/* The lines of the output file, parsed (an array).  OWNED: json_decref(). */
static json_t *read_lines(void)
{
    char *text = test_read_file(out, NULL);
    cr_assert_not_null(text, "%s was not written", out);
    json_t *lines = json_array();
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        cr_assert_not_null(v, "not a whole JSON line (%s): %.200s", jerr.text, line);
        json_array_append_new(lines, v);
    }
    free(text);
    return lines;
}

TestSuite(file_sink, .init = setup, .fini = teardown, .timeout = 30);

Test(file_sink, accepts_every_operation_type)
{
    cr_assert_not_null(plugin->apply);
    cr_assert_null(plugin->poll);
    cr_assert_str_eq(plugin->operations[0], "*");
    cr_assert_null(plugin->operations[1]);
}

Test(file_sink, appends_each_operation_with_its_job_context)
{
    cr_assert_eq(start(out), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *op1 = json_pack("{s:s, s:[s]}", "type", "AddTagToCase", "tags", "phishing");
    json_t *op2 = json_pack("{s:s, s:s}", "type", "CreateTask", "title", "line\nbreak \"quoted\"");
    json_t *res1 = NULL, *res2 = NULL;
    cr_assert_eq(plugin->apply(state, op1, &job, &res1), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->apply(state, op2, NULL, &res2), NBSOAR_OK);
    cr_assert_str_eq(json_string_value(json_object_get(res1, "written")), out);

    json_t *lines = read_lines();
    cr_assert_eq(json_array_size(lines), 2);
    json_t *first = json_array_get(lines, 0);
    json_t *j = json_object_get(first, "job");
    cr_assert_str_eq(json_string_value(json_object_get(j, "id")), "job-42");
    cr_assert_str_eq(json_string_value(json_object_get(j, "event_id")), "edr-1");
    cr_assert_str_eq(json_string_value(json_object_get(j, "route")), "edr-triage");
    cr_assert_str_eq(json_string_value(json_object_get(j, "notebook")), "triage.ipynb");
    cr_assert(json_equal(json_object_get(first, "operation"), op1));
    const char *t = json_string_value(json_object_get(first, "time"));
    cr_assert(t != NULL && t[strlen(t) - 1] == 'Z', "time is ISO-8601 UTC");
    json_t *second = json_array_get(lines, 1);
    cr_assert(json_equal(json_object_get(second, "operation"), op2), "newlines inside values stay escaped");
    cr_assert(json_is_null(json_object_get(json_object_get(second, "job"), "id")), "no job: null context");

    json_decref(lines);
    json_decref(op1);
    json_decref(op2);
    json_decref(res1);
    json_decref(res2);
}

Test(file_sink, secrets_in_operations_are_redacted)
{
    cr_assert_eq(start(out), NBSOAR_OK);
    fh->host.secret_add(&fh->host, "tok-5f3a9c1e");
    json_t *op = json_pack("{s:s, s:s}", "type", "AddLogToTask", "message", "used tok-5f3a9c1e here");
    json_t *res = NULL;
    cr_assert_eq(plugin->apply(state, op, &job, &res), NBSOAR_OK);
    char *text = test_read_file(out, NULL);
    cr_assert_null(strstr(text, "tok-5f3a9c1e"), "%s", text);
    cr_assert_not_null(strstr(text, "used *** here"), "%s", text);
    free(text);
    json_decref(op);
    json_decref(res);
}

#define THREADS 8
#define PER_THREAD 200

static void *apply_many(void *arg)
{
    char payload[4096];
    memset(payload, 'a' + (int)(long)arg, sizeof(payload) - 1);
    payload[sizeof(payload) - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++) {
        json_t *op = json_pack("{s:s, s:i, s:i, s:s}", "type", "AddCustomFields", "thread", (int)(long)arg,
                               "n", i, "payload", payload);
        json_t *res = NULL;
        if (plugin->apply(state, op, &job, &res) != NBSOAR_OK)
            return (void *)1;
        json_decref(op);
        json_decref(res);
    }
    return NULL;
}

Test(file_sink, concurrent_applies_write_whole_lines)
{
    cr_assert_eq(start(out), NBSOAR_OK);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, apply_many, (void *)i);
    for (int i = 0; i < THREADS; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        cr_assert_null(ret, "apply failed: %s", fake_host_log(fh));
    }
    json_t *lines = read_lines();
    cr_assert_eq(json_array_size(lines), THREADS * PER_THREAD);
    int seen[THREADS] = {0};
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line) {
        json_t *op = json_object_get(line, "operation");
        int th = (int)json_integer_value(json_object_get(op, "thread"));
        cr_assert_eq(json_integer_value(json_object_get(op, "n")), seen[th], "thread %d lines in order", th);
        cr_assert_eq(strlen(json_string_value(json_object_get(op, "payload"))), 4095);
        seen[th]++;
    }
    json_decref(lines);
}

Test(file_sink, an_unwritable_path_fails_init_naming_the_path)
{
    char bad[4200];
    snprintf(bad, sizeof(bad), "%s/missing-folder/ops.jsonl", dir);
    cr_assert_eq(start(bad), NBSOAR_ERROR);
    char expected[4400];
    snprintf(expected, sizeof(expected), "cannot open %s for appending: No such file or directory", bad);
    cr_assert_not_null(strstr(fake_host_log(fh), expected), "%s", fake_host_log(fh));
}

Test(file_sink, a_path_gone_after_init_is_an_error_result_naming_it)
{
    char sub[2048];
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(out, sizeof(out), "%s/ops.jsonl", sub);
    cr_assert_eq(start(out), NBSOAR_OK);
    test_rmtree(sub);
    json_t *op = json_pack("{s:s}", "type", "MarkAlertAsRead");
    json_t *res = NULL;
    cr_assert_eq(plugin->apply(state, op, &job, &res), NBSOAR_ERROR, "a missing folder cannot be retried into existence");
    char expected[4400];
    snprintf(expected, sizeof(expected), "cannot open %s: No such file or directory", out);
    cr_assert_str_eq(json_string_value(json_object_get(res, "error")), expected);
    json_decref(op);
    json_decref(res);
}

Test(file_sink, check_mode_creates_nothing)
{
    fh->host.check_mode = 1;
    cr_assert_eq(start(out), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_not(test_file_exists(dir, "ops.jsonl"));
    char bad[4200];
    snprintf(bad, sizeof(bad), "%s/missing-folder/ops.jsonl", dir);
    plugin->shutdown(state);
    state = NULL;
    cr_assert_eq(start(bad), NBSOAR_ERROR);
    cr_assert_not_null(strstr(fake_host_log(fh), bad), "%s", fake_host_log(fh));
    plugin->shutdown(state);
    state = NULL;
    cr_assert_eq(start(dir), NBSOAR_ERROR, "a folder is not a file to append to");
    char expected[4200];
    snprintf(expected, sizeof(expected), "path %s is not a regular file", dir);
    cr_assert_not_null(strstr(fake_host_log(fh), expected), "%s", fake_host_log(fh));
}

Test(file_sink, a_retried_operation_already_in_the_file_is_not_written_again)
{
    cr_assert_eq(start(out), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *op = json_pack("{s:s, s:s, s:s}", "type", "AddTagToCase", "tag", "x", "idempotency_key",
                           "job-42:0");
    struct nbsoar_job retry = job;
    json_t *r1 = NULL, *r2 = NULL, *r3 = NULL;
    cr_assert_eq(plugin->apply(state, op, &job, &r1), NBSOAR_OK);
    retry.attempt = 2; /* the host crashed before it recorded the first apply */
    cr_assert_eq(plugin->apply(state, op, &retry, &r2), NBSOAR_OK);
    cr_assert(json_is_true(json_object_get(r2, "duplicate")));
    json_object_set_new(op, "idempotency_key", json_string("job-42:1"));
    cr_assert_eq(plugin->apply(state, op, &retry, &r3), NBSOAR_OK, "a new key on a retry is written");
    json_t *lines = read_lines();
    cr_assert_eq(json_array_size(lines), 2);
    json_decref(lines);
    json_decref(op);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
}
