/* The misp sink against the simulator: every operation applied and visible
 * in MISP, applied once when repeated, validated before any request; the
 * key refused, MISP down then back, server errors and malformed replies;
 * the health check in init and none in check mode; vault defaults. */
#include <criterion/criterion.h>
#include <string.h>

#include "misp_sim_proc.h"

#define EV_ID "2"
#define EV_UUID "5758ebf5-c898-48e6-9fe9-5665c0a83866"

static struct misp_sim sim;
static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;
static json_t *job_event;
static struct nbsoar_job job;

static void start(void)
{
    misp_sim_start(&sim, 0);
    fh = misp_host_new();
    plugin = misp_plugin();
    cr_assert_eq(misp_plugin_init(plugin, fh, &sim, NULL, &state), NBSOAR_OK, "%s", fake_host_log(fh));
    job_event = json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "id", "misp:" EV_UUID ":1465681801",
                          "ref", "system", "misp", "kind", "event", "id", EV_ID, "uuid", EV_UUID);
    job = (struct nbsoar_job){.id = "job-1", .event_id = "misp:" EV_UUID, .event = job_event};
}

static void stop(void)
{
    if (plugin != NULL)
        plugin->shutdown(state);
    state = NULL;
    if (fh != NULL)
        fake_host_free(fh);
    fh = NULL;
    json_decref(job_event);
    job_event = NULL;
    misp_sim_stop(&sim);
}

/* Applies an operation given as JSON text; returns the code, *result kept in res. */
static int apply(const char *op_json, json_t **res)
{
    json_t *op = json_loads(op_json, 0, NULL);
    cr_assert_not_null(op, "bad op %s", op_json);
    json_t *result = NULL;
    int rc = plugin->apply(state, op, &job, &result);
    json_decref(op);
    cr_assert_not_null(result, "no result for %s", op_json);
    if (res != NULL)
        *res = result;
    else
        json_decref(result);
    return rc;
}

static int applied(const json_t *res)
{
    return json_is_true(json_object_get(res, "applied"));
}

static int has_tag(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        if (!strcmp(json_string_value(json_object_get(t, "name")), tag))
            return 1;
    return 0;
}

TestSuite(misp_sink, .init = start, .fini = stop, .timeout = 60);

Test(misp_sink, add_tag_to_the_jobs_event_then_again_is_a_no_op)
{
    json_t *res;
    cr_assert_eq(apply("{\"type\": \"MISPAddTag\", \"tag\": \"tlp:amber\"}", &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    cr_assert_str_eq(json_string_value(json_object_get(res, "target")), "event");
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    cr_assert(has_tag(json_object_get(misp_sim_event(st, EV_ID), "Tag"), "tlp:amber"));
    json_t *last = json_array_get(json_object_get(st, "requests"), json_array_size(json_object_get(st, "requests")) - 1);
    json_t *body = json_object_get(last, "body");
    cr_assert_str_eq(json_string_value(json_object_get(last, "path")), "/tags/attachTagToObject");
    cr_assert_str_eq(json_string_value(json_object_get(body, "uuid")), EV_UUID);
    cr_assert_str_eq(json_string_value(json_object_get(body, "tag")), "tlp:amber");
    json_decref(st);
    cr_assert_eq(apply("{\"type\": \"MISPAddTag\", \"tag\": \"tlp:amber\"}", &res), NBSOAR_OK);
    cr_assert_not(applied(res));
    json_decref(res);
    st = misp_sim_state(&sim);
    cr_assert_eq(misp_sim_requests(st, "POST", "/tags/attachTagToObject"), 1);
    json_decref(st);
}

Test(misp_sink, add_tag_to_an_attribute_by_uuid)
{
    json_t *st = misp_sim_state(&sim);
    json_t *attr = json_array_get(json_object_get(misp_sim_event(st, EV_ID), "Attribute"), 0);
    char op[256];
    snprintf(op, sizeof(op), "{\"type\": \"MISPAddTag\", \"tag\": \"false-positive\", \"uuid\": \"%s\"}",
             json_string_value(json_object_get(attr, "uuid")));
    json_t *res;
    cr_assert_eq(apply(op, &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    cr_assert_str_eq(json_string_value(json_object_get(res, "target")), "attribute");
    json_decref(res);
    json_decref(st);
    st = misp_sim_state(&sim);
    attr = json_array_get(json_object_get(misp_sim_event(st, EV_ID), "Attribute"), 0);
    cr_assert(has_tag(json_object_get(attr, "Tag"), "false-positive"));
    cr_assert_not(has_tag(json_object_get(misp_sim_event(st, EV_ID), "Tag"), "false-positive"));
    json_decref(st);
}

Test(misp_sink, add_attribute_once)
{
    const char *op = "{\"type\": \"MISPAddAttribute\", \"attribute_type\": \"ip-dst\", \"value\": \"203.0.113.7\", "
                     "\"category\": \"Network activity\", \"to_ids\": true, \"comment\": \"from playbook\"}";
    json_t *res;
    cr_assert_eq(apply(op, &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    cr_assert_not_null(json_object_get(res, "uuid"));
    json_decref(res);
    cr_assert_eq(apply(op, &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_not(applied(res));
    cr_assert_str_eq(json_string_value(json_object_get(res, "reason")), "attribute already present");
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    int n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(misp_sim_event(st, EV_ID), "Attribute"), i, a)
        if (!strcmp(json_string_value(json_object_get(a, "value")), "203.0.113.7")) {
            n++;
            cr_assert_str_eq(json_string_value(json_object_get(a, "category")), "Network activity");
            cr_assert(json_is_true(json_object_get(a, "to_ids")));
        }
    cr_assert_eq(n, 1);
    cr_assert_eq(misp_sim_requests(st, "POST", "/attributes/add/2"), 1);
    json_decref(st);
}

Test(misp_sink, add_sighting_by_value)
{
    json_t *res;
    cr_assert_eq(apply("{\"type\": \"MISPAddSighting\", \"value\": \"http://fake.website.com/malware/is/here\", "
                       "\"sighting_type\": 1, \"source\": \"nbsoar\"}", &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    json_t *s = json_array_get(json_object_get(st, "sightings"), 0);
    cr_assert_not_null(s);
    cr_assert_str_eq(json_string_value(json_object_get(s, "type")), "1");
    cr_assert_str_eq(json_string_value(json_object_get(s, "source")), "nbsoar");
    json_decref(st);
    cr_assert_eq(apply("{\"type\": \"MISPAddSighting\", \"value\": \"no-such-value.example\"}", &res), NBSOAR_ERROR);
    cr_assert(strstr(json_string_value(json_object_get(res, "error")), "Could not add the Sighting") != NULL);
    json_decref(res);
}

Test(misp_sink, publish_once)
{
    json_t *res;
    cr_assert_eq(apply("{\"type\": \"MISPPublish\"}", &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    cr_assert(json_is_true(json_object_get(misp_sim_event(st, EV_ID), "published")));
    json_decref(st);
    cr_assert_eq(apply("{\"type\": \"MISPPublish\"}", &res), NBSOAR_OK);
    cr_assert_not(applied(res));
    json_decref(res);
    st = misp_sim_state(&sim);
    cr_assert_eq(misp_sim_requests(st, "POST", "/events/publish/"), 1);
    json_decref(st);
}

Test(misp_sink, add_event_report_once_and_to_an_explicit_event)
{
    const char *op = "{\"type\": \"MISPAddEventReport\", \"name\": \"Triage\", \"content\": \"# Done\\nall good\"}";
    json_t *res;
    cr_assert_eq(apply(op, &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    json_decref(res);
    cr_assert_eq(apply(op, &res), NBSOAR_OK);
    cr_assert_not(applied(res));
    json_decref(res);
    cr_assert_eq(apply("{\"type\": \"MISPAddEventReport\", \"name\": \"Other\", \"content\": \"x\", "
                       "\"event\": \"5a3c2fcd-8328-42bb-a95e-4f4402de0b81\"}", &res), NBSOAR_OK, "%s", fake_host_log(fh));
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    json_t *r = json_array_get(json_object_get(misp_sim_event(st, EV_ID), "EventReport"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "content")), "# Done\nall good");
    cr_assert_eq(json_array_size(json_object_get(misp_sim_event(st, EV_ID), "EventReport")), 1);
    cr_assert_eq(json_array_size(json_object_get(misp_sim_event(st, "9747"), "EventReport")), 1);
    json_decref(st);
}

Test(misp_sink, invalid_operations_name_the_field_and_send_nothing)
{
    static const char *const cases[][2] = {
        {"{\"type\": \"MISPAddTag\"}", "\"tag\" is required"},
        {"{\"type\": \"MISPAddTag\", \"tag\": \"\"}", "\"tag\" must be a non-empty string"},
        {"{\"type\": \"MISPAddTag\", \"tag\": \"x\", \"uuid\": \"nope\"}", "\"uuid\" must be a uuid"},
        {"{\"type\": \"MISPAddTag\", \"tag\": \"x\", \"colour\": \"red\"}", "unknown field \"colour\""},
        {"{\"type\": \"MISPAddAttribute\", \"value\": \"1.2.3.4\"}", "\"attribute_type\" is required"},
        {"{\"type\": \"MISPAddAttribute\", \"attribute_type\": \"ip-dst\", \"value\": \"1.2.3.4\", \"to_ids\": \"yes\"}",
         "\"to_ids\" must be true or false"},
        {"{\"type\": \"MISPAddSighting\"}", "\"value\" or \"uuid\" is required"},
        {"{\"type\": \"MISPAddSighting\", \"value\": \"x\", \"sighting_type\": 3}", "\"sighting_type\" must be 0"},
        {"{\"type\": \"MISPPublish\", \"event\": \"../../admin\"}", "\"event\" must be a MISP event id or uuid"},
        {"{\"type\": \"MISPAddEventReport\", \"name\": \"n\"}", "\"content\" is required"},
        {"{\"type\": \"MISPDeleteEvent\"}", "not a MISP operation"},
    };
    json_t *before = misp_sim_state(&sim);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *res;
        cr_assert_eq(apply(cases[i][0], &res), NBSOAR_ERROR, "%s was accepted", cases[i][0]);
        const char *e = json_string_value(json_object_get(res, "error"));
        cr_assert(e != NULL && strstr(e, cases[i][1]) != NULL, "%s: error \"%s\" lacks \"%s\"",
                  cases[i][0], e ? e : "", cases[i][1]);
        json_decref(res);
    }
    json_t *after = misp_sim_state(&sim);
    cr_assert_eq(json_array_size(json_object_get(after, "requests")),
                 json_array_size(json_object_get(before, "requests")));
    json_decref(before);
    json_decref(after);
}

Test(misp_sink, an_operation_without_a_misp_event_needs_event)
{
    job.event = NULL;
    json_t *res;
    cr_assert_eq(apply("{\"type\": \"MISPPublish\"}", &res), NBSOAR_ERROR);
    cr_assert(strstr(json_string_value(json_object_get(res, "error")), "no target event") != NULL);
    json_decref(res);
}

Test(misp_sink, misp_down_then_back_is_retry_then_applied_once)
{
    const char *op = "{\"type\": \"MISPAddAttribute\", \"attribute_type\": \"domain\", \"value\": \"evil.example\"}";
    misp_sim_fault(&sim, "down", -1);
    json_t *res;
    cr_assert_eq(apply(op, &res), NBSOAR_RETRY);
    cr_assert(strstr(json_string_value(json_object_get(res, "error")), "will retry") != NULL, "%s",
              json_string_value(json_object_get(res, "error")));
    json_decref(res);
    misp_sim_fault(&sim, "500", -1);
    cr_assert_eq(apply(op, NULL), NBSOAR_RETRY);
    misp_sim_fault(&sim, "none", 0);
    cr_assert_eq(apply(op, &res), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(applied(res));
    json_decref(res);
    cr_assert_eq(apply(op, &res), NBSOAR_OK);
    cr_assert_not(applied(res));
    json_decref(res);
    json_t *st = misp_sim_state(&sim);
    cr_assert_eq(misp_sim_requests(st, "POST", "/attributes/add/"), 1);
    json_decref(st);
}

Test(misp_sink, server_4xx_is_an_error_with_misps_message)
{
    json_t *res;
    cr_assert_eq(apply("{\"type\": \"MISPPublish\", \"event\": \"424242\"}", &res), NBSOAR_ERROR);
    const char *e = json_string_value(json_object_get(res, "error"));
    cr_assert(strstr(e, "HTTP 404") && strstr(e, "Invalid event"), "%s", e);
    json_decref(res);
}

Test(misp_sink, malformed_replies_are_errors_not_crashes)
{
    static const char *const ops[] = {
        "{\"type\": \"MISPAddTag\", \"tag\": \"t\"}",
        "{\"type\": \"MISPAddAttribute\", \"attribute_type\": \"domain\", \"value\": \"a.example\"}",
        "{\"type\": \"MISPAddSighting\", \"value\": \"a.example\"}",
        "{\"type\": \"MISPPublish\"}",
        "{\"type\": \"MISPAddEventReport\", \"name\": \"n\", \"content\": \"c\"}",
    };
    static const char *const modes[] = {"notjson", "wrongshape"};
    for (size_t m = 0; m < 2; m++) {
        misp_sim_fault(&sim, modes[m], -1);
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            json_t *res;
            cr_assert_eq(apply(ops[i], &res), NBSOAR_ERROR, "%s under %s", ops[i], modes[m]);
            cr_assert_not_null(json_object_get(res, "error"));
            json_decref(res);
        }
    }
}

Test(misp_sink, requests_carry_pymisps_headers)
{
    json_t *st = misp_sim_state(&sim);
    json_t *r = json_array_get(json_object_get(st, "requests"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "path")), "/servers/getVersion");
    json_t *h = json_object_get(r, "headers");
    cr_assert_str_eq(json_string_value(json_object_get(h, "Authorization")), MISP_SIM_KEY);
    cr_assert_str_eq(json_string_value(json_object_get(h, "Accept")), "application/json");
    cr_assert_str_eq(json_string_value(json_object_get(h, "Content-Type")), "application/json");
    cr_assert(strstr(json_string_value(json_object_get(h, "User-Agent")), "nbsoar-misp") != NULL);
    json_decref(st);
}

TestSuite(misp_init, .timeout = 60);

Test(misp_init, a_refused_key_says_so_without_the_key)
{
    misp_sim_start(&sim, 0);
    struct fake_host *h = misp_host_new();
    const struct nbsoar_plugin *p = misp_plugin();
    void *st;
    cr_assert_eq(misp_plugin_init(p, h, &sim, "{\"key\": \"wrong-key-ABCDEF123456\"}", &st), NBSOAR_ERROR);
    const char *log = fake_host_log(h);
    cr_assert(strstr(log, "refused the API key") != NULL, "%s", log);
    cr_assert(strstr(log, "wrong-key-ABCDEF123456") == NULL, "the key leaked: %s", log);
    p->shutdown(st);
    fake_host_free(h);
    misp_sim_stop(&sim);
}

Test(misp_init, health_check_fails_when_misp_is_down_and_check_mode_sends_nothing)
{
    misp_sim_start(&sim, 0);
    struct fake_host *h = misp_host_new();
    const struct nbsoar_plugin *p = misp_plugin();
    void *st;
    misp_sim_fault(&sim, "down", -1);
    cr_assert_eq(misp_plugin_init(p, h, &sim, NULL, &st), NBSOAR_RETRY);
    cr_assert(strstr(fake_host_log(h), "health check failed") != NULL, "%s", fake_host_log(h));
    p->shutdown(st);
    misp_sim_fault(&sim, "none", 0);
    json_t *before = misp_sim_state(&sim);
    h->host.check_mode = 1;
    cr_assert_eq(misp_plugin_init(p, h, &sim, NULL, &st), NBSOAR_OK, "%s", fake_host_log(h));
    p->shutdown(st);
    json_t *after = misp_sim_state(&sim);
    cr_assert_eq(json_array_size(json_object_get(after, "requests")),
                 json_array_size(json_object_get(before, "requests")), "check mode sent a request");
    json_decref(before);
    json_decref(after);
    fake_host_free(h);
    misp_sim_stop(&sim);
}

Test(misp_init, url_key_and_verifycert_default_to_the_vaults_keys_py_names)
{
    misp_sim_start(&sim, 0);
    struct fake_host *h = misp_host_new();
    const struct nbsoar_plugin *p = misp_plugin();
    json_t *conf = fake_host_config(p, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(conf, "url")), "vault:misp_url");
    cr_assert_str_eq(json_string_value(json_object_get(conf, "key")), "vault:misp_key");
    void *st;
    cr_assert_eq(p->init(&h->host, conf, &st), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(h), "no misp_url in the vault") != NULL, "%s", fake_host_log(h));
    p->shutdown(st);
    json_object_set_new(h->vault, "misp_url", json_string(sim.url));
    json_object_set_new(h->vault, "misp_key", json_string(MISP_SIM_KEY));
    json_object_set_new(h->vault, "misp_verifycert", json_false());
    cr_assert_eq(p->init(&h->host, conf, &st), NBSOAR_OK, "%s", fake_host_log(h));
    cr_assert(strstr(fake_host_log(h), "connected to MISP 2.5.1") != NULL);
    cr_assert(strstr(fake_host_log(h), MISP_SIM_KEY) == NULL);
    p->shutdown(st);
    json_decref(conf);
    fake_host_free(h);
    misp_sim_stop(&sim);
}
