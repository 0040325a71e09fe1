/* The thehive plugin, loaded like the host loads it, applying operations to
 * the TheHive simulator through the host's real HTTP client. */
#include <criterion/criterion.h>
#include <string.h>

#include "thehive_fixture.h"

#define EV_CASE "{\"id\":\"e-case\",\"ref\":{\"system\":\"thehive\",\"kind\":\"case\",\"id\":\"~1001\"}}"
#define EV_ARTIFACT "{\"id\":\"e-obs\",\"ref\":{\"system\":\"thehive\",\"kind\":\"case_artifact\"," \
                    "\"id\":\"~3001\",\"case_id\":\"~1001\"}}"
#define EV_ALERT "{\"id\":\"e-alert\",\"ref\":{\"system\":\"thehive\",\"kind\":\"alert\",\"id\":\"~2001\"}}"
#define EV_TASK "{\"id\":\"e-task\",\"ref\":{\"system\":\"thehive\",\"kind\":\"case_task\"," \
                "\"id\":\"~4001\",\"case_id\":\"~1001\"}}"
/* A log event whose parent ids come only from TheHive 4's JSON in raw. */
#define EV_LOG "{\"id\":\"e-log\",\"ref\":{\"system\":\"thehive\",\"kind\":\"case_task_log\"," \
               "\"id\":\"~5001\"},\"raw\":{\"id\":\"~5001\",\"case_task\":{\"id\":\"~4001\"," \
               "\"case\":{\"id\":\"~1001\"}}}}"

/* Applies one operation for a job whose event is event_json (may be NULL).
 * *result OWNED by the caller. */
static int apply(const char *event_json, const char *op_json, json_t **result)
{
    json_t *event = event_json ? json_loads(event_json, 0, NULL) : NULL;
    json_t *op = json_loads(op_json, 0, NULL);
    cr_assert_not_null(op, "bad operation text %s", op_json);
    struct nbsoar_job job = {.id = "job-1", .event = event, .attempt = 1};
    int rc = plugin->apply(state, op, &job, result);
    json_decref(op);
    json_decref(event);
    return rc;
}

static const char *error_of(const json_t *result)
{
    const char *e = json_string_value(json_object_get(result, "error"));
    return e != NULL ? e : "(no error)";
}

static void expect_ok(const char *event_json, const char *op_json, json_t **result_out)
{
    json_t *result = NULL;
    int rc = apply(event_json, op_json, &result);
    cr_assert_eq(rc, NBSOAR_OK, "%s: %s", op_json, error_of(result));
    if (result_out != NULL)
        *result_out = result;
    else
        json_decref(result);
}

/* The error message of an operation that must fail with `want_rc`. */
static char *expect_fail(int want_rc, const char *event_json, const char *op_json)
{
    json_t *result = NULL;
    int rc = apply(event_json, op_json, &result);
    cr_assert_eq(rc, want_rc, "%s returned %d: %s", op_json, rc, error_of(result));
    char *msg = strdup(error_of(result));
    json_decref(result);
    return msg;
}

static int has_string(const json_t *array, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static const char *field(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v != NULL ? v : "";
}

/* The ten operations of the Jupyter responder's README (reference 1.7),
 * each from the kind of TheHive object it belongs to. */
static const char *const readme_ops[][2] = {
    {EV_ARTIFACT, "{\"type\":\"AddTagToArtifact\",\"tag\":\"mytagtoartifact:mypredicate\"}"},
    {EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"mytagtocase:mypredicate\"}"},
    {EV_ALERT, "{\"type\":\"MarkAlertAsRead\"}"},
    {EV_CASE, "{\"type\":\"AddCustomFields\",\"name\":\"risk\",\"value\":\"High\",\"tpe\":\"string\"}"},
    {EV_ALERT, "{\"type\":\"AddTagToAlert\",\"tag\":\"mytagtoalert:mypredicate\"}"},
    {EV_TASK, "{\"type\":\"CreateTask\",\"title\":\"Malware analysis\","
              "\"description\":\"Analyze the payload to check if it's malicious or not\"}"},
    {EV_TASK, "{\"type\":\"CloseTask\"}"},
    {EV_LOG, "{\"type\":\"AddLogToTask\",\"content\":\"This is an automatic log!\","
             "\"owner\":\"letmer00t@thehive.local\"}"},
    {EV_CASE, "{\"type\":\"AssignCase\",\"owner\":\"analyst@thehive.local\"}"},
    {EV_CASE, "{\"type\":\"AddArtifactToCase\",\"dataType\":\"domain\",\"data\":\"otherwebsite2.org\","
              "\"message\":\"this is a custom description for the **otherwebsite.org** artifact\","
              "\"tlp\":1,\"tags\":[\"source:jupyter\",\"hello:world\"],\"ioc\":true,\"sighted\":true}"},
};
#define N_README_OPS (sizeof(readme_ops) / sizeof(readme_ops[0]))

static void check_all_applied(int version)
{
    json_t *st = sim_state(&sim);
    json_t *c = sim_find(st, "cases", "~1001");
    cr_assert(has_string(json_object_get(c, "tags"), "mytagtocase:mypredicate"));
    cr_assert(has_string(json_object_get(c, "tags"), "seed"), "existing tags kept");
    cr_assert_str_eq(field(json_object_get(c, "customFieldValues"), "risk"), "High");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(c, "customFieldValues"), "score")),
                 3, "other custom fields kept");
    cr_assert_str_eq(field(c, "assignee"), "analyst@thehive.local");

    json_t *obs = sim_find(st, "observables", "~3001");
    cr_assert(has_string(json_object_get(obs, "tags"), "mytagtoartifact:mypredicate"));

    json_t *alert = sim_find(st, "alerts", "~2001");
    cr_assert(has_string(json_object_get(alert, "tags"), "mytagtoalert:mypredicate"));
    cr_assert_str_eq(field(alert, "status"), "Ignored");
    if (version == 4)
        cr_assert(json_is_true(json_object_get(alert, "read")));

    cr_assert_eq(sim_count(st, "tasks", "title", "Malware analysis"), 1);
    cr_assert_str_eq(field(sim_find(st, "tasks", "~4001"), "status"), "Completed");
    cr_assert_eq(sim_count(st, "logs", "message", "This is an automatic log!"), 1);
    cr_assert_eq(sim_count(st, "logs", "_task", "~4001"), 2, "seeded log + new log on ~4001");

    cr_assert_eq(sim_count(st, "observables", "data", "otherwebsite2.org"), 1);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(st, "observables"), i, o) {
        if (strcmp(field(o, "data"), "otherwebsite2.org") != 0)
            continue;
        cr_assert_str_eq(field(o, "_case"), "~1001");
        cr_assert_str_eq(field(o, "dataType"), "domain");
        cr_assert_eq(json_integer_value(json_object_get(o, "tlp")), 1);
        cr_assert(json_is_true(json_object_get(o, "ioc")) && json_is_true(json_object_get(o, "sighted")));
        cr_assert(has_string(json_object_get(o, "tags"), "hello:world"));
        cr_assert(strstr(field(o, "message"), "custom description") != NULL);
    }
    json_decref(st);
}

/* Every operation applied, then all of them again as after a crash: the
 * second round changes nothing and says so. */
static void apply_all_twice(int version)
{
    for (size_t i = 0; i < N_README_OPS; i++)
        expect_ok(readme_ops[i][0], readme_ops[i][1], NULL);
    check_all_applied(version);
    json_t *r = NULL;
    for (size_t i = 0; i < N_README_OPS; i++) {
        expect_ok(readme_ops[i][0], readme_ops[i][1], &r);
        if (strstr(readme_ops[i][1], "CreateTask") || strstr(readme_ops[i][1], "AddLogToTask") ||
            strstr(readme_ops[i][1], "AddArtifactToCase"))
            cr_assert(json_is_true(json_object_get(r, "existed")), "retry of %s", readme_ops[i][1]);
        json_decref(r);
    }
    check_all_applied(version);
}

Test(thehive_sink, applies_all_ten_operations_to_thehive5_once_even_when_repeated, .fini = stop)
{
    start(5, NULL);
    apply_all_twice(5);
}

Test(thehive_sink, applies_all_ten_operations_through_thehive4_routes, .fini = stop)
{
    start(4, NULL);
    apply_all_twice(4);
    json_t *st = sim_state(&sim);
    int task_route = 0, read_route = 0;
    size_t i;
    json_t *req;
    json_array_foreach(json_object_get(st, "requests"), i, req) {
        const char *path = field(req, "path");
        task_route += strcmp(field(req, "method"), "POST") == 0 && strcmp(path, "/api/v1/task") == 0;
        read_route += strcmp(path, "/api/v1/alert/~2001/read") == 0;
        cr_assert(json_integer_value(json_object_get(req, "status")) < 400,
                  "TheHive 4 refused %s %s", field(req, "method"), path);
    }
    cr_assert_eq(task_route, 1, "CreateTask went through POST /api/v1/task once");
    cr_assert_eq(read_route, 2, "MarkAlertAsRead used POST /api/v1/alert/{id}/read");
    json_decref(st);
}

Test(thehive_sink, results_name_the_ids_created, .fini = stop)
{
    start(5, NULL);
    json_t *r = NULL;
    expect_ok(EV_CASE, "{\"type\":\"CreateTask\",\"title\":\"Ids\",\"description\":\"\"}", &r);
    cr_assert_str_eq(field(r, "case_id"), "~1001");
    json_t *st = sim_state(&sim);
    cr_assert_not_null(sim_find(st, "tasks", field(r, "task_id")), "task_id %s", field(r, "task_id"));
    json_decref(st);
    json_decref(r);
}

Test(thehive_sink, a_bad_operation_fails_alone_with_the_field_named, .fini = stop)
{
    start(5, NULL);
    expect_ok(EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"before\"}", NULL);
    char *m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"CreateTask\",\"title\":\"No description\"}");
    cr_assert(strstr(m, "CreateTask") && strstr(m, "\"description\""), "%s", m);
    free(m);
    m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":42}");
    cr_assert(strstr(m, "\"tag\"") && strstr(m, "42"), "%s", m);
    free(m);
    m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddCustomFields\",\"name\":\"nope\",\"value\":1}");
    cr_assert(strstr(m, "CustomField nope not found"), "TheHive's own message: %s", m);
    free(m);
    m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddCustomFields\",\"name\":\"score\",\"value\":\"x\"}");
    cr_assert(strstr(m, "score"), "%s", m);
    free(m);
    expect_ok(EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"after\"}", NULL);
    json_t *st = sim_state(&sim);
    json_t *c = sim_find(st, "cases", "~1001");
    cr_assert(has_string(json_object_get(c, "tags"), "before") &&
              has_string(json_object_get(c, "tags"), "after"));
    cr_assert_eq(sim_count(st, "tasks", "title", "No description"), 0);
    json_decref(st);
}

Test(thehive_sink, server_refusals_quote_thehive, .fini = stop)
{
    start(5, NULL);
    char *m = expect_fail(NBSOAR_ERROR, NULL, "{\"type\":\"CloseTask\",\"taskId\":\"~9999\"}");
    cr_assert(strstr(m, "404") && strstr(m, "Task ~9999 not found"), "%s", m);
    free(m);
    m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AssignCase\",\"owner\":\"ghost@nowhere\"}");
    cr_assert(strstr(m, "User ghost@nowhere not found"), "%s", m);
    free(m);
}

Test(thehive_sink, wrong_api_key_is_a_clear_error_without_the_key, .fini = stop)
{
    start(5, "{\"api_key\":\"wrong-key-5a5a5a5a5a\"}");
    char *m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"x\"}");
    cr_assert(strstr(m, "API key") && strstr(m, "401"), "%s", m);
    cr_assert_null(strstr(m, "wrong-key-5a5a5a5a5a"), "key leaked: %s", m);
    cr_assert_null(strstr(fake_host_log(fh), "wrong-key-5a5a5a5a5a"), "key leaked in log");
    free(m);
}

Test(thehive_sink, organisation_the_key_cannot_use_is_refused, .fini = stop)
{
    start(5, "{\"organisation\":\"other-org\"}");
    char *m = expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"x\"}");
    cr_assert(strstr(m, "403") && strstr(m, "organisation"), "%s", m);
    free(m);
}

Test(thehive_sink, thehive_down_means_retry_then_applied_once, .fini = stop)
{
    start(5, NULL);
    const char *op = "{\"type\":\"CreateTask\",\"title\":\"While down\",\"description\":\"d\"}";
    sim_fail(&sim, "down", -1, NULL);
    char *m = expect_fail(NBSOAR_RETRY, EV_CASE, op);
    cr_assert(strstr(m, "unreachable"), "%s", m);
    free(m);
    sim_fail(&sim, "500", -1, NULL);
    free(expect_fail(NBSOAR_RETRY, EV_CASE, op));
    sim_fail(&sim, "none", 0, NULL);
    expect_ok(EV_CASE, op, NULL);
    json_t *st = sim_state(&sim);
    cr_assert_eq(sim_count(st, "tasks", "title", "While down"), 1);
    json_decref(st);
}

Test(thehive_sink, answer_lost_after_thehive_acted_is_not_applied_twice, .fini = stop)
{
    start(5, NULL);
    const char *op = "{\"type\":\"CreateTask\",\"title\":\"Lost answer\",\"description\":\"d\"}";
    sim_fail(&sim, "drop", 1, "POST /api/v1/case/~1001/task");
    free(expect_fail(NBSOAR_RETRY, EV_CASE, op));
    json_t *r = NULL;
    expect_ok(EV_CASE, op, &r);
    cr_assert(json_is_true(json_object_get(r, "existed")));
    json_decref(r);
    const char *log_op = "{\"type\":\"AddLogToTask\",\"content\":\"lost log\"}";
    sim_fail(&sim, "drop", 1, "POST /api/v1/task/~4001/log");
    free(expect_fail(NBSOAR_RETRY, EV_TASK, log_op));
    expect_ok(EV_TASK, log_op, NULL);
    json_t *st = sim_state(&sim);
    cr_assert_eq(sim_count(st, "tasks", "title", "Lost answer"), 1);
    cr_assert_eq(sim_count(st, "logs", "message", "lost log"), 1);
    json_decref(st);
}

Test(thehive_sink, target_comes_from_the_event_or_explicit_ids, .fini = stop)
{
    start(5, NULL);
    char *m = expect_fail(NBSOAR_ERROR, EV_ALERT, "{\"type\":\"CreateTask\",\"title\":\"t\",\"description\":\"\"}");
    cr_assert(strstr(m, "without case") && strstr(m, "caseId"), "%s", m);
    free(m);
    m = expect_fail(NBSOAR_ERROR, NULL, "{\"type\":\"AddTagToAlert\",\"tag\":\"t\"}");
    cr_assert(strstr(m, "not a TheHive object"), "%s", m);
    free(m);
    expect_ok(EV_ALERT, "{\"type\":\"AddTagToCase\",\"tag\":\"explicit\",\"caseId\":\"~1001\"}", NULL);
    expect_ok(NULL, "{\"type\":\"AddTagToAlert\",\"tag\":\"explicit\",\"alertId\":\"~2001\"}", NULL);
    json_t *st = sim_state(&sim);
    cr_assert(has_string(json_object_get(sim_find(st, "cases", "~1001"), "tags"), "explicit"));
    cr_assert(has_string(json_object_get(sim_find(st, "alerts", "~2001"), "tags"), "explicit"));
    json_decref(st);
}

Test(thehive_sink, ids_cannot_change_the_request_path, .fini = stop)
{
    start(5, NULL);
    char *m = expect_fail(NBSOAR_ERROR, NULL,
                          "{\"type\":\"AddTagToCase\",\"tag\":\"evil\",\"caseId\":\"../alert/~2001\"}");
    free(m);
    json_t *st = sim_state(&sim);
    cr_assert_not(has_string(json_object_get(sim_find(st, "alerts", "~2001"), "tags"), "evil"));
    json_decref(st);
}

Test(thehive_sink, slow_thehive_times_out_and_is_retried_later, .fini = stop)
{
    start(5, "{\"timeout\":300,\"retries\":-1}");
    sim_fail(&sim, "slow", 1, NULL);
    char *m = expect_fail(NBSOAR_RETRY, EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"slow\"}");
    cr_assert(strstr(m, "imeout") || strstr(m, "timed out"), "%s", m);
    free(m);
}

Test(thehive_sink, invalid_operations_send_no_request, .fini = stop)
{
    start(5, NULL);
    json_t *before = sim_state(&sim);
    free(expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\","
                                            "\"data\":\"1.2.3.4\",\"dataMessage\":\"m\"}"));
    free(expect_fail(NBSOAR_ERROR, EV_CASE, "{\"type\":\"Unknown\"}"));
    json_t *after = sim_state(&sim);
    cr_assert_eq(json_array_size(json_object_get(after, "requests")),
                 json_array_size(json_object_get(before, "requests")));
    json_decref(before);
    json_decref(after);
}

/* init() alone: bad settings are refused with the key named, no request made. */
static int init_with(const char *overrides, struct fake_host **out)
{
    *out = sim_host_new("thehive-test");
    const struct nbsoar_plugin *p = sim_plugin("thehive");
    json_t *conf = fake_host_config(p, overrides);
    void *st = NULL;
    int rc = p->init(&(*out)->host, conf, &st);
    p->shutdown(st);
    json_decref(conf);
    return rc;
}

Test(thehive_config, bad_settings_are_refused_naming_the_key)
{
    static const char *const bad[][2] = {
        {"{\"url\":\"thehive:9000\",\"api_key\":\"k-123456\"}", "url"},
        {"{\"url\":\"http://h\"}", "api_key"},
        {"{\"url\":\"http://h\",\"api_key\":\"k-123456\",\"api_version\":3}", "api_version"},
        {"{\"url\":\"http://h\",\"api_key\":\"k-123456\",\"organisation\":\"a\\r\\nX-Evil: 1\"}",
         "organisation"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fake_host *h;
        cr_expect_eq(init_with(bad[i][0], &h), NBSOAR_ERROR, "%s accepted", bad[i][0]);
        cr_expect(strstr(fake_host_log(h), bad[i][1]) != NULL, "%s: log %s", bad[i][0], fake_host_log(h));
        fake_host_free(h);
    }
    struct fake_host *h;
    cr_expect_eq(init_with("{\"url\":\"https://h/\",\"api_key\":\"k-123456\"}", &h), NBSOAR_OK,
                 "%s", fake_host_log(h));
    fake_host_free(h);
}

Test(thehive_sink, without_organisation_the_key_owner_default_is_used, .fini = stop)
{
    start(5, "{\"organisation\":\"\"}");
    expect_ok(EV_CASE, "{\"type\":\"AddTagToCase\",\"tag\":\"default-org\"}", NULL);
    json_t *st = sim_state(&sim);
    cr_assert(has_string(json_object_get(sim_find(st, "cases", "~1001"), "tags"), "default-org"));
    json_decref(st);
}
