/* The splunk plugin as a sink: SplunkUpdateNotable applied to the
 * simulator's notables through POST /services/notable_update. */
#include <criterion/criterion.h>
#include <string.h>

#include "splunk_sim_proc.h"

static struct sim sim;
static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;
static char notable_id[256];

static void start(const char *overrides)
{
    static const char *const args[] = {"--notables", "20", NULL};
    sim_proc_start(&sim, SPLUNK_SIM, args);
    fh = sim_host_new("splunk-test");
    plugin = sim_plugin("splunk");
    int rc = sim_plugin_init(plugin, fh, &sim, overrides != NULL ? overrides : "{\"retries\":-1}",
                             &state);
    cr_assert_eq(rc, NBSOAR_OK, "init: %s", fake_host_log(fh));
    json_t *st = sim_state(&sim);
    const char *id = json_string_value(
        json_object_get(json_array_get(json_object_get(st, "notables"), 3), "event_id"));
    cr_assert_not_null(id);
    snprintf(notable_id, sizeof(notable_id), "%s", id);
    json_decref(st);
}

static void stop(void)
{
    fake_host_stop(&fh, plugin, &state);
    sim_stop(&sim);
}

/* The event a Splunk notable job carries: ref and/or fields.event_id. */
static json_t *notable_event(int with_ref, int with_fields)
{
    json_t *ev = json_pack("{s:s, s:s}", "id", notable_id, "source", "splunk");
    if (with_ref)
        json_object_set_new(ev, "ref", json_pack("{s:s,s:s,s:s}", "system", "splunk", "kind",
                                                 "notable", "id", notable_id));
    if (with_fields)
        json_object_set_new(ev, "fields", json_pack("{s:s}", "event_id", notable_id));
    return ev;
}

static int apply(json_t *event, const char *op_json, json_t **result)
{
    json_t *op = json_loads(op_json, 0, NULL);
    cr_assert_not_null(op, "bad operation text %s", op_json);
    struct nbsoar_job job = {.id = "job-1", .event = event, .attempt = 1};
    int rc = plugin->apply(state, op, &job, result);
    json_decref(op);
    return rc;
}

static const char *error_of(const json_t *result)
{
    const char *e = json_string_value(json_object_get(result, "error"));
    return e != NULL ? e : "(no error)";
}

/* The simulator's copy of the notable (OWNED state in *st). */
static json_t *notable_in_sim(json_t **st)
{
    *st = sim_state(&sim);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(*st, "notables"), i, n) {
        if (strcmp(json_string_value(json_object_get(n, "event_id")), notable_id) == 0)
            return n;
    }
    cr_assert_fail("notable %s not in the simulator", notable_id);
    return NULL;
}

static long update_calls(void)
{
    json_t *st = sim_state(&sim);
    long n = (long)json_integer_value(
        json_object_get(json_object_get(st, "counts"), "notable_update"));
    json_decref(st);
    return n;
}

Test(splunk_sink, update_from_the_jobs_notable_is_visible_in_splunk, .fini = stop)
{
    start(NULL);
    json_t *ev = notable_event(1, 0);
    json_t *res = NULL;
    int rc = apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"status\":\"in_progress\","
                       "\"urgency\":\"High\",\"owner\":\"analyst\",\"comment\":\"nbsoar: triaged\","
                       "\"disposition\":\"true_positive\"}", &res);
    cr_assert_eq(rc, NBSOAR_OK, "%s", error_of(res));
    cr_assert_str_eq(json_string_value(json_object_get(res, "event_id")), notable_id);
    cr_assert_eq(json_integer_value(json_object_get(res, "status")), 2);
    cr_assert_eq(json_integer_value(json_object_get(res, "success_count")), 1);
    json_decref(res);
    json_decref(ev);

    json_t *st = NULL;
    json_t *n = notable_in_sim(&st);
    cr_assert_str_eq(json_string_value(json_object_get(n, "status")), "2");
    cr_assert_str_eq(json_string_value(json_object_get(n, "status_label")), "In Progress");
    cr_assert_str_eq(json_string_value(json_object_get(n, "urgency")), "high");
    cr_assert_str_eq(json_string_value(json_object_get(n, "owner")), "analyst");
    cr_assert_str_eq(json_string_value(json_object_get(n, "disposition")), "disposition:1");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(n, "comments"), 0)),
                     "nbsoar: triaged");
    json_decref(st);
}

Test(splunk_sink, event_id_from_fields_or_the_operation, .fini = stop)
{
    start(NULL);
    json_t *ev = notable_event(0, 1);
    json_t *res = NULL;
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"status\":5}", &res), NBSOAR_OK,
                 "%s", error_of(res));
    json_decref(res);
    json_decref(ev);
    char op[600];
    snprintf(op, sizeof(op), "{\"type\":\"SplunkUpdateNotable\",\"event_id\":\"%s\","
             "\"urgency\":\"critical\"}", notable_id);
    cr_assert_eq(apply(NULL, op, &res), NBSOAR_OK, "%s", error_of(res));
    json_decref(res);
    json_t *st = NULL;
    json_t *n = notable_in_sim(&st);
    cr_assert_str_eq(json_string_value(json_object_get(n, "status")), "5");
    cr_assert_str_eq(json_string_value(json_object_get(n, "urgency")), "critical");
    json_decref(st);
}

Test(splunk_sink, invalid_values_fail_before_any_request, .fini = stop)
{
    start(NULL);
    static const char *const bad[][2] = {
        {"{\"type\":\"SplunkUpdateNotable\",\"urgency\":\"urgent\"}", "\"urgency\""},
        {"{\"type\":\"SplunkUpdateNotable\",\"status\":\"bogus\"}", "\"status\""},
        {"{\"type\":\"SplunkUpdateNotable\",\"status\":-1}", "\"status\""},
        {"{\"type\":\"SplunkUpdateNotable\",\"owner\":42}", "\"owner\""},
        {"{\"type\":\"SplunkUpdateNotable\",\"comment\":\"\"}", "\"comment\""},
        {"{\"type\":\"SplunkUpdateNotable\",\"disposition\":\"maybe\"}", "\"disposition\""},
        {"{\"type\":\"SplunkUpdateNotable\"}", "nothing to change"},
        {"{\"type\":\"SplunkUpdateNotebook\",\"status\":1}", "unknown operation type"},
    };
    json_t *ev = notable_event(1, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *res = NULL;
        cr_assert_eq(apply(ev, bad[i][0], &res), NBSOAR_ERROR, "%s accepted", bad[i][0]);
        cr_assert_not_null(strstr(error_of(res), bad[i][1]), "%s: %s", bad[i][0], error_of(res));
        json_decref(res);
    }
    json_decref(ev);
    /* No notable at all: a job from another system. */
    json_t *other = json_pack("{s:{s:s,s:s,s:s}}", "ref", "system", "thehive", "kind", "case", "id", "~1");
    json_t *res = NULL;
    cr_assert_eq(apply(other, "{\"type\":\"SplunkUpdateNotable\",\"status\":1}", &res), NBSOAR_ERROR);
    cr_assert_not_null(strstr(error_of(res), "no notable to update"), "%s", error_of(res));
    json_decref(res);
    json_decref(other);
    cr_assert_eq(update_calls(), 0, "a request was sent for an invalid operation");
}

Test(splunk_sink, splunk_refusal_is_an_error_with_its_message, .fini = stop)
{
    start(NULL);
    json_t *ev = notable_event(1, 0);
    json_t *res = NULL;
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"owner\":\"nobody_here\"}", &res),
                 NBSOAR_ERROR);
    cr_assert_not_null(strstr(error_of(res), "ValueError: Invalid owner"), "%s", error_of(res));
    cr_assert_not_null(strstr(error_of(res), "400"), "%s", error_of(res));
    json_decref(res);
    json_decref(ev);
}

Test(splunk_sink, server_failures_are_retry, .fini = stop)
{
    start(NULL);
    json_t *ev = notable_event(1, 0);
    json_t *res = NULL;
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"500\",\"count\":1}"));
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"status\":2}", &res), NBSOAR_RETRY,
                 "%s", error_of(res));
    cr_assert_not_null(strstr(error_of(res), "500"), "%s", error_of(res));
    json_decref(res);
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"down\",\"count\":1}"));
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"status\":2}", &res), NBSOAR_RETRY,
                 "%s", error_of(res));
    json_decref(res);
    /* And then it goes through. */
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"status\":2}", &res), NBSOAR_OK,
                 "%s", error_of(res));
    json_decref(res);
    json_decref(ev);
}

Test(splunk_sink, session_auth_relogs_in_once_after_401, .fini = stop)
{
    start("{\"retries\":-1,\"username\":\"" SIM_USER "\",\"password\":\"" SIM_PASSWORD "\"}");
    json_t *ev = notable_event(1, 0);
    json_t *res = NULL;
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"comment\":\"one\"}", &res),
                 NBSOAR_OK, "%s", error_of(res));
    json_decref(res);
    json_decref(sim_hook(&sim, "expire", NULL));
    cr_assert_eq(apply(ev, "{\"type\":\"SplunkUpdateNotable\",\"comment\":\"two\"}", &res),
                 NBSOAR_OK, "%s", error_of(res));
    json_decref(res);
    json_decref(ev);
    json_t *st = NULL;
    json_t *n = notable_in_sim(&st);
    cr_assert_eq(json_array_size(json_object_get(n, "comments")), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "counts"), "login")), 2);
    json_decref(st);
}

/* init() alone: no simulator needed. */
static int init_with(const char *conf_json, struct fake_host **out_fh, void **out_state)
{
    *out_fh = fake_host_new("splunk-conf");
    const struct nbsoar_plugin *p = sim_plugin("splunk");
    json_t *conf = fake_host_config(p, conf_json);
    int rc = p->init(&(*out_fh)->host, conf, out_state);
    json_decref(conf);
    return rc;
}

static void init_done(struct fake_host *f, void *st)
{
    sim_plugin("splunk")->shutdown(st);
    fake_host_free(f);
}

Test(splunk_config, port_8089_added_when_the_url_names_none)
{
    struct fake_host *f;
    void *st = NULL;
    cr_assert_eq(init_with("{\"url\":\"https://splunk.example.org/\",\"token\":\"t0k3n-abc\"}", &f, &st),
                 NBSOAR_OK, "%s", fake_host_log(f));
    cr_assert_not_null(strstr(fake_host_log(f), "https://splunk.example.org:8089,"), "%s",
                       fake_host_log(f));
    init_done(f, st);
    cr_assert_eq(init_with("{\"url\":\"https://[::1]:9089\",\"token\":\"t0k3n-abc\"}", &f, &st),
                 NBSOAR_OK, "%s", fake_host_log(f));
    cr_assert_not_null(strstr(fake_host_log(f), "https://[::1]:9089,"), "%s", fake_host_log(f));
    init_done(f, st);
}

Test(splunk_config, credentials_one_way_and_urls_checked)
{
    static const char *const bad[][2] = {
        {"{\"url\":\"https://s:8089\"}", "token: set token"},
        {"{\"url\":\"https://s:8089\",\"username\":\"u\"}", "token: set token"},
        {"{\"url\":\"https://s:8089\",\"token\":\"t\",\"username\":\"u\",\"password\":\"p-secret-9\"}",
         "not both"},
        {"{\"url\":\"splunk:8089\",\"token\":\"t\"}", "url:"},
        {"{\"url\":\"https://s:8089\",\"token\":\"t\",\"saved_searches_path\":\"saved\"}",
         "saved_searches_path"},
        {"{\"url\":\"https://s:8089\",\"token\":\"t\",\"seen_max\":0}", "seen_max"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fake_host *f;
        void *st = NULL;
        cr_assert_eq(init_with(bad[i][0], &f, &st), NBSOAR_ERROR, "%s accepted", bad[i][0]);
        cr_assert_not_null(strstr(fake_host_log(f), bad[i][1]), "%s: %s", bad[i][0], fake_host_log(f));
        cr_assert_null(strstr(fake_host_log(f), "p-secret-9"), "password leaked");
        init_done(f, st);
    }
}
