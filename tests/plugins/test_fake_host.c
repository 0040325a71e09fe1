/* The fake host other plugin tests rely on does what its header promises. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "fake_host.h"

Test(fake_host, log_is_captured_with_level_instance_and_fields_and_redacted)
{
    struct fake_host *fh = fake_host_new("unit");
    const struct nbsoar_host *h = &fh->host;
    h->secret_add(h, "**");
    h->secret_add(h, "hunter22");
    h->log(h, NBSOAR_LOG_WARN, "token %s and %d", "hunter22", 7);
    json_t *fields = json_pack("{s:s}", "job", "j1");
    h->logf(h, NBSOAR_LOG_INFO, fields, "done");
    json_decref(fields);
    cr_assert_str_eq(fake_host_log(fh), "WARN unit: token *** and 7\nINFO unit: done {\"job\":\"j1\"}\n");
    char *r = h->redact(h, "a ** b");
    cr_assert_str_eq(r, "a *** b", "a secret made of stars does not loop");
    free(r);
    fake_host_free(fh);
}

Test(fake_host, services_answer_from_memory)
{
    struct fake_host *fh = fake_host_new("unit");
    const struct nbsoar_host *h = &fh->host;
    json_object_set_new(fh->vault, "misp_key", json_string("k"));
    json_t *v = NULL;
    cr_assert_eq(h->vault_get(h, "misp_key", &v), NBSOAR_OK);
    cr_assert_str_eq(json_string_value(v), "k");
    json_decref(v);
    cr_assert_eq(h->vault_get(h, "absent", &v), NBSOAR_ERROR);

    char *c = NULL;
    h->cursor_get(h, "k", &c);
    cr_assert_null(c);
    h->cursor_set(h, "k", "12");
    h->cursor_get(h, "k", &c);
    cr_assert_str_eq(c, "12");
    free(c);

    char err[128];
    struct nbsoar_http_response resp;
    struct nbsoar_http_request req = {.method = "GET", .url = "http://x/"};
    cr_assert_eq(h->http(h, NULL, &req, &resp, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert_str_eq(err, "no HTTP in fake host");

    json_t *ev = json_pack("{s:s}", "id", "e1");
    fake_host_fail_emit(fh, NBSOAR_RETRY, 1);
    cr_assert_eq(h->emit_event(h, ev, err, sizeof(err)), NBSOAR_RETRY);
    cr_assert_eq(h->emit_event(h, ev, err, sizeof(err)), NBSOAR_OK);
    cr_assert_eq(json_array_size(fh->events), 1);
    cr_assert_eq(fh->emit_calls, 2);
    json_decref(ev);

    h->counter_add(h, "x_total", 2);
    h->counter_add(h, "x_total", 1.5);
    cr_assert_float_eq(json_real_value(json_object_get(fh->counters, "x_total")), 3.5, 1e-9);
    fake_host_free(fh);
}

static const struct nbsoar_config_key keys[] = {
    {"s", NBSOAR_KEY_STRING, "x", 0, ""},
    {"i", NBSOAR_KEY_INT, "42", 0, ""},
    {"b", NBSOAR_KEY_BOOL, "true", 0, ""},
    {"d", NBSOAR_KEY_DURATION_MS, "2m", 0, ""},
    {"l", NBSOAR_KEY_LIST, "a, b", 0, ""},
    {"none", NBSOAR_KEY_STRING, NULL, 0, ""},
    {NULL, 0, NULL, 0, NULL},
};

Test(fake_host, config_applies_typed_defaults_then_overrides)
{
    struct nbsoar_plugin p = {NBSOAR_PLUGIN_HEADER, .name = "t", .config = keys};
    json_t *conf = fake_host_config(&p, "{\"i\": 7}");
    json_t *expected = json_loads("{\"s\": \"x\", \"i\": 7, \"b\": true, \"d\": 120000, \"l\": [\"a\", \"b\"]}", 0, NULL);
    cr_assert(json_equal(conf, expected), "%s", json_dumps(conf, JSON_COMPACT));
    json_decref(expected);
    json_decref(conf);
}
