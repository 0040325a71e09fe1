#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_services.h"
#include "log.h"
#include "redact.h"

/* A plugin living in the test itself: its callbacks drive the services. */
static const struct nbsoar_host *seen_host;
static int shutdowns;

static int fake_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    (void)config;
    seen_host = host;
    *state = NULL;
    return NBSOAR_OK;
}

static int fake_poll(void *state)
{
    (void)state;
    return NBSOAR_OK;
}

static void fake_shutdown(void *state)
{
    (void)state;
    shutdowns++;
}

static const char *const any_op[] = {"*", NULL};
static const char *const some_ops[] = {"AddTagToCase", "CreateTask", NULL};

static struct loaded_plugin fake_plugin(void)
{
    struct loaded_plugin p = {.path = "(test)", .roles = NBSOAR_ROLE_SOURCE};
    p.def = (struct nbsoar_plugin){NBSOAR_PLUGIN_HEADER, .name = "fake", .init = fake_init,
                                   .poll = fake_poll, .shutdown = fake_shutdown};
    return p;
}

static char logbuf[8192];
static FILE *log_file;

static void setup(void)
{
    memset(logbuf, 0, sizeof(logbuf));
    log_file = fmemopen(logbuf, sizeof(logbuf), "w");
    log_setup(NBSOAR_LOG_DEBUG, LOG_FORMAT_HUMAN, log_file);
}

static void teardown(void)
{
    log_setup(NBSOAR_LOG_INFO, LOG_FORMAT_AUTO, NULL);
    if (log_file != NULL)
        fclose(log_file);
    log_file = NULL;
    redact_clear();
}

TestSuite(host_services, .init = setup, .fini = teardown);

static struct plugin_instance *start(struct host_env *env, const struct loaded_plugin *p)
{
    struct plugin_instance *inst = NULL;
    char err[256];
    cr_assert_eq(plugin_instance_start(env, p, "misp-prod", NULL, 0, &inst, err, sizeof(err)),
                 NBSOAR_OK, "%s", err);
    return inst;
}

Test(host_services, table_carries_abi_instance_and_check_mode)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = start(env, &p);
    cr_assert_eq(seen_host, &inst->host);
    cr_assert_eq(seen_host->abi_major, NBSOAR_ABI_MAJOR);
    cr_assert_eq(seen_host->abi_minor, NBSOAR_ABI_MINOR);
    cr_assert_eq(seen_host->struct_size, sizeof(struct nbsoar_host));
    cr_assert_str_eq(seen_host->instance, "misp-prod");
    cr_assert_eq(seen_host->check_mode, 0);
    plugin_instance_stop(inst);
    cr_assert_eq(shutdowns, 1);
    host_env_free(env);
}

Test(host_services, secrets_never_reach_log_lines_human_or_json)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    h->secret_add(h, "s3cr3t-api-key");
    h->log(h, NBSOAR_LOG_INFO, "connecting with key %s", "s3cr3t-api-key");
    json_t *fields = json_pack("{s:s, s:s}", "job_id", "j-1", "header", "X-Key: s3cr3t-api-key");
    h->logf(h, NBSOAR_LOG_WARN, fields, "retrying");
    log_setup(NBSOAR_LOG_DEBUG, LOG_FORMAT_JSON, log_file);
    h->logf(h, NBSOAR_LOG_ERROR, fields, "failed for %s", "s3cr3t-api-key");
    fflush(log_file);
    cr_assert(strstr(logbuf, "s3cr3t-api-key") == NULL, "secret leaked: %s", logbuf);
    cr_assert(strstr(logbuf, "[misp-prod] connecting with key ***") != NULL, "%s", logbuf);
    cr_assert(strstr(logbuf, "job_id=j-1") != NULL);
    cr_assert(strstr(logbuf, "header=X-Key: ***") != NULL);
    cr_assert(strstr(logbuf, "\"component\":\"misp-prod\"") != NULL);
    cr_assert(strstr(logbuf, "\"msg\":\"failed for ***\"") != NULL);
    cr_assert(strstr(logbuf, "\"header\":\"X-Key: ***\"") != NULL);
    char *red = h->redact(h, "value=s3cr3t-api-key");
    cr_assert_str_eq(red, "value=***");
    free(red);
    json_decref(fields);
    plugin_instance_stop(inst);
    host_env_free(env);
}

Test(host_services, vault_lookups_return_new_references)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py", "misp_key = 'abc-123-xyz'\nverify = False\n", &d);
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(v, NULL);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    json_t *out = NULL;
    cr_assert_eq(h->vault_get(h, "misp_key", &out), NBSOAR_OK);
    cr_assert_str_eq(json_string_value(out), "abc-123-xyz");
    json_decref(out);
    cr_assert_eq(h->vault_get(h, "verify", &out), NBSOAR_OK);
    cr_assert(json_is_false(out));
    json_decref(out);
    cr_assert_eq(h->vault_get(h, "nope", &out), NBSOAR_ERROR);
    plugin_instance_stop(inst);
    host_env_free(env);
    vault_free(v);
    diags_free(&d);
}

static int fake_http(const struct nbsoar_http_endpoint *ep, const struct nbsoar_http_request *req,
                     struct nbsoar_http_response *resp, char *err, size_t errlen)
{
    (void)ep;
    (void)err;
    (void)errlen;
    resp->status = 201;
    resp->body = strdup(req->url);
    resp->body_len = strlen(resp->body);
    resp->json = json_pack("{s:s}", "method", req->method);
    return NBSOAR_OK;
}

Test(host_services, http_goes_through_the_configured_client_and_masks_the_auth_header)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, fake_http);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    struct nbsoar_http_endpoint ep = {.auth_header = "Authorization: Bearer tok-abc-999"};
    struct nbsoar_http_request req = {.method = "GET", .url = "https://hive/api/case"};
    struct nbsoar_http_response resp;
    char err[128] = "";
    cr_assert_eq(h->http(h, &ep, &req, &resp, err, sizeof(err)), NBSOAR_OK);
    cr_assert_eq(resp.status, 201);
    cr_assert_str_eq(resp.body, "https://hive/api/case");
    cr_assert_str_eq(json_string_value(json_object_get(resp.json, "method")), "GET");
    h->http_response_free(&resp);
    cr_assert_null(resp.body);
    char *red = redact_dup("sent Bearer tok-abc-999");
    cr_assert_str_eq(red, "sent ***");
    free(red);
    plugin_instance_stop(inst);
    host_env_free(env);
}

Test(host_services, http_without_a_client_is_an_error_not_a_crash)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    struct nbsoar_http_request req = {.method = "GET", .url = "https://x/"};
    struct nbsoar_http_response resp;
    char err[128];
    cr_assert_eq(h->http(h, NULL, &req, &resp, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert_str_eq(err, "HTTP is not available in this command");
    h->http_response_free(&resp);
    plugin_instance_stop(inst);
    host_env_free(env);
}

Test(host_services, journal_services_fail_cleanly_without_hooks)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    json_t *ev = json_pack("{s:s}", "id", "e1");
    char err[128];
    cr_assert_eq(h->emit_event(h, ev, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert_str_eq(err, "no journal in this command");
    char *value = (char *)"untouched";
    cr_assert_eq(h->cursor_get(h, "since", &value), NBSOAR_ERROR);
    cr_assert_null(value);
    cr_assert_eq(h->cursor_set(h, "since", "42"), NBSOAR_ERROR);
    json_decref(ev);
    plugin_instance_stop(inst);
    host_env_free(env);
}

struct journal {
    char last_instance[64];
    char last_event[64];
    char cursor[64];
};

static int j_emit(void *arg, const char *instance, const json_t *event, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct journal *j = arg;
    snprintf(j->last_instance, sizeof(j->last_instance), "%s", instance);
    snprintf(j->last_event, sizeof(j->last_event), "%s", json_string_value(json_object_get(event, "id")));
    return NBSOAR_OK;
}

static int j_get(void *arg, const char *instance, const char *key, char **value)
{
    (void)instance;
    (void)key;
    struct journal *j = arg;
    *value = j->cursor[0] ? strdup(j->cursor) : NULL;
    return NBSOAR_OK;
}

static int j_set(void *arg, const char *instance, const char *key, const char *value)
{
    struct journal *j = arg;
    snprintf(j->cursor, sizeof(j->cursor), "%s/%s=%s", instance, key, value);
    return NBSOAR_OK;
}

Test(host_services, installed_hooks_receive_events_and_cursors_with_the_instance_name)
{
    struct journal j = {0};
    struct host_event_hooks hooks = {.arg = &j, .emit_event = j_emit, .cursor_get = j_get,
                                     .cursor_set = j_set};
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    host_env_set_event_hooks(env, &hooks);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    json_t *ev = json_pack("{s:s}", "id", "evt-7");
    char err[64];
    cr_assert_eq(h->emit_event(h, ev, err, sizeof(err)), NBSOAR_OK);
    cr_assert_str_eq(j.last_instance, "misp-prod");
    cr_assert_str_eq(j.last_event, "evt-7");
    cr_assert_eq(h->cursor_set(h, "since", "100"), NBSOAR_OK);
    char *value = NULL;
    cr_assert_eq(h->cursor_get(h, "since", &value), NBSOAR_OK);
    cr_assert_str_eq(value, "misp-prod/since=100");
    free(value);
    json_decref(ev);
    plugin_instance_stop(inst);
    host_env_free(env);
}

Test(host_services, counters_add_up_per_instance)
{
    struct loaded_plugin p = fake_plugin();
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = start(env, &p);
    const struct nbsoar_host *h = &inst->host;
    h->counter_add(h, "events_total", 2);
    h->counter_add(h, "events_total", 1.5);
    h->counter_add(h, "errors_total", 1);
    cr_assert_float_eq(host_env_counter(env, "misp-prod", "events_total"), 3.5, 1e-9);
    cr_assert_float_eq(host_env_counter(env, "misp-prod", "nothing"), 0.0, 1e-9);
    json_t *snap = host_env_counters(env);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(snap, "misp-prod"), "errors_total")), 1.0, 1e-9);
    json_decref(snap);
    h->progress(h, 1, 2, "not a terminal: nothing printed");
    plugin_instance_stop(inst);
    host_env_free(env);
}

Test(host_services, sinks_accept_listed_operations_or_any_with_star)
{
    struct loaded_plugin p = fake_plugin();
    p.def.operations = some_ops;
    cr_assert(plugin_accepts_operation(&p, "CreateTask"));
    cr_assert(!plugin_accepts_operation(&p, "AddTagToAlert"));
    p.def.operations = any_op;
    cr_assert(plugin_accepts_operation(&p, "Whatever"));
}
