/* thehive: a sink that applies notebook operations to TheHive 5 (or 4),
 * and a source of new and updated alerts (thehive_source.c).
 *
 * Each operation is checked on its own before any request, then applied to
 * the job's origin object (event.ref) or to the ids the operation names.
 * One bad operation fails alone with a message naming the field; TheHive
 * itself would drop the whole batch silently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thehive.h"

#define THEHIVE_VERSION "0.1.0"

static const struct nbsoar_config_key thehive_config[] = {
    {"url", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED,
     "TheHive base URL, e.g. https://thehive.example.org (no /api)"},
    {"api_key", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED | NBSOAR_KEY_SECRET,
     "API key sent as Authorization: Bearer; normally vault:thehive_key"},
    {"organisation", NBSOAR_KEY_STRING, NULL, 0,
     "organisation sent as X-Organisation (default: the key's user's first organisation)"},
    {"api_version", NBSOAR_KEY_INT, "5", 0, "5 (TheHive 5) or 4 (TheHive 4's /api/v1 routes)"},
    {"verify_tls", NBSOAR_KEY_BOOL, "true", 0, "verify TheHive's certificate and host name"},
    {"ca_file", NBSOAR_KEY_STRING, NULL, 0, "PEM bundle to trust instead of the system store"},
    {"proxy", NBSOAR_KEY_STRING, NULL, 0, "proxy URL (default: the usual environment variables)"},
    {"timeout", NBSOAR_KEY_DURATION_MS, "30s", 0, "time limit of one request"},
    {"retries", NBSOAR_KEY_INT, "0", 0,
     "HTTP retries of one request before the operation is handed back to the host for later "
     "(0: the host's default, -1: none)"},
    {"poll_cases", NBSOAR_KEY_BOOL, "false", 0, "as a source: poll new and updated cases besides alerts"},
    {"page_size", NBSOAR_KEY_INT, "100", 0, "as a source: objects asked for per query page (1..1000)"},
    {"fetch_observables", NBSOAR_KEY_BOOL, "true", 0,
     "as a source: put each alert's (case's) observables in the event's fields"},
    {NULL, 0, NULL, 0, NULL},
};

static const char *opt_string(const json_t *config, const char *key)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A header value must not smuggle a second header line. */
static int header_safe(const char *v)
{
    return strpbrk(v, "\r\n") == NULL;
}

static int fail_init(const struct nbsoar_host *host, const char *msg)
{
    host->log(host, NBSOAR_LOG_ERROR, "%s", msg);
    return NBSOAR_ERROR;
}

static int thehive_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct th_state *st = calloc(1, sizeof(*st));
    *state = st;
    if (st == NULL)
        return fail_init(host, "out of memory");
    st->host = host;
    const char *url = opt_string(config, "url");
    const char *key = opt_string(config, "api_key");
    const char *org = opt_string(config, "organisation");
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return fail_init(host, "url: must be an http:// or https:// URL of TheHive");
    if (key == NULL || !header_safe(key))
        return fail_init(host, "api_key: must be set, on one line (normally vault:thehive_key)");
    if (org != NULL && !header_safe(org))
        return fail_init(host, "organisation: must be on one line");
    json_int_t version = json_integer_value(json_object_get(config, "api_version"));
    if (json_object_get(config, "api_version") == NULL)
        version = 5;
    if (version != 4 && version != 5)
        return fail_init(host, "api_version: must be 5 (TheHive 5) or 4 (TheHive 4)");
    st->api_version = (int)version;
    host->secret_add(host, key);
    json_int_t page = json_object_get(config, "page_size") ? json_integer_value(json_object_get(config, "page_size"))
                                                            : 100;
    if (page < 1 || page > 1000)
        return fail_init(host, "page_size: must be from 1 to 1000");
    st->page_size = (int)page;
    st->poll_cases = json_is_true(json_object_get(config, "poll_cases"));
    st->fetch_observables = !json_is_false(json_object_get(config, "fetch_observables"));

    st->base_url = strdup(url);
    if (st->base_url == NULL || asprintf(&st->auth_header, "Authorization: Bearer %s", key) < 0) {
        st->auth_header = NULL;
        return fail_init(host, "out of memory");
    }
    size_t len = strlen(st->base_url);
    while (len > 0 && st->base_url[len - 1] == '/')
        st->base_url[--len] = '\0';
    if (org != NULL && asprintf(&st->org_header, "X-Organisation: %s", org) < 0) {
        st->org_header = NULL;
        return fail_init(host, "out of memory");
    }
    st->headers[0] = st->org_header;
    st->headers[1] = NULL;
    if (opt_string(config, "ca_file") != NULL)
        st->ca_file = strdup(opt_string(config, "ca_file"));
    if (opt_string(config, "proxy") != NULL)
        st->proxy = strdup(opt_string(config, "proxy"));

    st->ep.auth_header = st->auth_header;
    st->ep.no_verify_tls = json_is_false(json_object_get(config, "verify_tls"));
    st->ep.ca_file = st->ca_file;
    st->ep.proxy = st->proxy;
    st->ep.timeout_ms = (long)json_integer_value(json_object_get(config, "timeout"));
    json_int_t retries = json_integer_value(json_object_get(config, "retries"));
    st->ep.max_retries = retries < 0 ? -1 : (int)retries;
    st->ep.headers = st->headers;
    if (st->ep.no_verify_tls)
        host->log(host, NBSOAR_LOG_WARN,
                  "verify_tls = false: TheHive's certificate is not checked");
    host->log(host, NBSOAR_LOG_DEBUG, "TheHive %d API at %s%s%s", st->api_version, st->base_url,
              org ? ", organisation " : "", org ? org : "");
    return NBSOAR_OK;
}

/* *result gets {"error": msg} beside what `partial` already says (ids). */
static json_t *error_result(json_t *partial, const char *msg)
{
    json_t *res = partial != NULL ? partial : json_object();
    json_object_set_new(res, "error", json_string(msg));
    return res;
}

static int thehive_apply(void *state, const json_t *operation, const struct nbsoar_job *job,
                         json_t **result)
{
    const struct th_state *st = state;
    char err[1024] = "";
    char target[512];
    enum th_op op;
    *result = NULL;
    if (th_validate(operation, &op, err, sizeof(err)) != NBSOAR_OK ||
        th_target_resolve(op, operation, job != NULL ? job->event : NULL, target, sizeof(target),
                          err, sizeof(err)) != NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_WARN, "operation refused: %s", err);
        *result = error_result(NULL, err);
        return NBSOAR_ERROR;
    }
    json_t *res = NULL;
    int rc = th_apply_op(st, op, operation, target, &res, err, sizeof(err));
    if (rc == NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_INFO, "%s applied to %s", th_op_name(op), target);
        *result = res;
        return NBSOAR_OK;
    }
    int retry = rc == NBSOAR_RETRY;
    st->host->log(st->host, retry ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR, "%s on %s %s: %s",
                  th_op_name(op), target, retry ? "will be retried" : "failed", err);
    *result = error_result(res, err);
    return rc;
}

static void thehive_shutdown(void *state)
{
    struct th_state *st = state;
    if (st == NULL)
        return;
    free(st->base_url);
    free(st->auth_header);
    free(st->org_header);
    free(st->ca_file);
    free(st->proxy);
    free(st);
}

static const struct nbsoar_plugin thehive_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "thehive",
    .version = THEHIVE_VERSION,
    .description = "applies notebook operations to TheHive 5 or 4 cases, alerts, observables "
                   "and tasks; polls new and updated alerts (and cases)",
    .config = thehive_config,
    .init = thehive_init,
    .poll = th_poll,
    .apply = thehive_apply,
    .operations = th_operation_names,
    .shutdown = thehive_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &thehive_plugin;
}
