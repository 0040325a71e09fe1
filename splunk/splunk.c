/* splunk: a connector for Splunk Enterprise Security.
 *
 * As a source it emits notable events, read through the search export
 * endpoint (streamed, one JSON line at a time) and enriched with the
 * correlation search that raised them.  As a sink it applies
 * SplunkUpdateNotable operations through notable_update.  Both talk to
 * splunkd's management port (8089) through the host's HTTP client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

#define SPLUNK_VERSION "0.1.0"

static const struct nbsoar_config_key splunk_config[] = {
    {"url", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED,
     "splunkd management URL, e.g. https://splunk.example.org:8089 (port 8089 when absent)"},
    {"token", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "authentication token sent as Authorization: Bearer; normally vault:splunk_token"},
    {"username", NBSOAR_KEY_STRING, NULL, 0, "user for POST /services/auth/login (instead of token)"},
    {"password", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "password of username; normally vault:splunk_password"},
    {"verify_tls", NBSOAR_KEY_BOOL, "true", 0, "verify splunkd's certificate and host name"},
    {"ca_file", NBSOAR_KEY_STRING, NULL, 0,
     "PEM bundle to trust instead of the system store (splunkd's own CA)"},
    {"proxy", NBSOAR_KEY_STRING, NULL, 0, "proxy URL (default: the usual environment variables)"},
    {"timeout", NBSOAR_KEY_DURATION_MS, "30s", 0,
     "time limit of one request (not of the export stream)"},
    {"retries", NBSOAR_KEY_INT, "0", 0, "HTTP retries of one request (0: host default, -1: none)"},
    {"search", NBSOAR_KEY_STRING, "search `notable`", 0,
     "source: the SPL that returns notables; the window goes in earliest_time/latest_time"},
    {"lookback", NBSOAR_KEY_DURATION_MS, "10m", 0,
     "source: how far each window reaches back before the last one's end, for late-indexed notables"},
    {"delay", NBSOAR_KEY_DURATION_MS, "30s", 0,
     "source: the window ends this long before now (indexing lag)"},
    {"first_window", NBSOAR_KEY_DURATION_MS, "1h", 0,
     "source: how far back the first poll reads when there is no cursor yet"},
    {"enrich", NBSOAR_KEY_BOOL, "true", 0,
     "source: add fields.detection from the correlation search (saved/searches/{search_name})"},
    {"enrich_ttl", NBSOAR_KEY_DURATION_MS, "1h", 0, "source: how long a correlation search is cached"},
    {"saved_searches_path", NBSOAR_KEY_STRING, "/servicesNS/-/-/saved/searches", 0,
     "source: REST path of saved searches (-/- finds ES searches in every app)"},
    {"seen_max", NBSOAR_KEY_INT, "5000", 0,
     "source: recent event_ids remembered against the lookback (the journal dedups beyond)"},
    {"max_line", NBSOAR_KEY_INT, "1048576", 0, "source: longest export line accepted, in bytes"},
    {"source_name", NBSOAR_KEY_STRING, NULL, 0, "source: event.source (default: the section name)"},
    {NULL, 0, NULL, 0, NULL},
};

static const char *opt_string(const json_t *config, const char *key)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static long opt_int(const json_t *config, const char *key, long fallback)
{
    const json_t *v = json_object_get(config, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : fallback;
}

static int fail_init(const struct nbsoar_host *host, const char *msg)
{
    host->log(host, NBSOAR_LOG_ERROR, "%s", msg);
    return NBSOAR_ERROR;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* url without trailing '/', with :8089 added when it names no port.
 * OWNED; NULL on ENOMEM. */
static char *base_url(const char *url)
{
    const char *auth = strstr(url, "://") + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *close = memchr(auth, ']', alen);
    const char *from = close != NULL ? close : auth;
    int has_port = memchr(from, ':', alen - (size_t)(from - auth)) != NULL;
    char *out = NULL;
    if (asprintf(&out, "%.*s%s%s", (int)(auth - url + (long)alen), url, has_port ? "" : ":8089",
                 auth + alen) < 0)
        return NULL;
    size_t len = strlen(out);
    while (len > 0 && out[len - 1] == '/')
        out[--len] = '\0';
    return out;
}

static int splunk_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct sp_state *st = calloc(1, sizeof(*st));
    *state = st;
    if (st == NULL)
        return fail_init(host, "out of memory");
    st->host = host;
    pthread_mutex_init(&st->auth_lock, NULL);
    st->enrich_cache = json_object();
    const char *url = opt_string(config, "url");
    const char *token = opt_string(config, "token");
    const char *user = opt_string(config, "username");
    const char *password = opt_string(config, "password");
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strpbrk(url, " \r\n") != NULL)
        return fail_init(host, "url: must be an http:// or https:// URL of splunkd's management "
                               "port, e.g. https://splunk.example.org:8089");
    if (token != NULL && (user != NULL || password != NULL))
        return fail_init(host, "token and username/password: set one way to log in, not both");
    if (token == NULL && (user == NULL || password == NULL))
        return fail_init(host, "token: set token (normally vault:splunk_token), or username and "
                               "password");
    if (token != NULL && strpbrk(token, "\r\n") != NULL)
        return fail_init(host, "token: must be on one line");
    const char *search = opt_string(config, "search");
    if (search == NULL)
        search = "search `notable`";
    const char *path = opt_string(config, "saved_searches_path");
    if (path == NULL)
        path = "/servicesNS/-/-/saved/searches";
    if (path[0] != '/')
        return fail_init(host, "saved_searches_path: must start with /");
    long seen_max = opt_int(config, "seen_max", 5000);
    long max_line = opt_int(config, "max_line", 1048576);
    if (seen_max < 1 || seen_max > 10000000)
        return fail_init(host, "seen_max: must be between 1 and 10000000");
    if (max_line < 1024)
        return fail_init(host, "max_line: must be at least 1024 bytes");
    if (token != NULL)
        host->secret_add(host, token);
    if (password != NULL)
        host->secret_add(host, password);

    st->base_url = base_url(url);
    st->token = dup_or_null(token);
    st->username = dup_or_null(user);
    st->password = dup_or_null(password);
    st->ca_file = dup_or_null(opt_string(config, "ca_file"));
    st->proxy = dup_or_null(opt_string(config, "proxy"));
    /* The SDK's rule: a search must start with "search" or "|". */
    int bare = strncmp(search, "search ", 7) != 0 && search[0] != '|';
    if (asprintf(&st->search, "%s%s", bare ? "search " : "", search) < 0)
        st->search = NULL;
    st->saved_searches_path = strdup(path);
    st->source_name = strdup(opt_string(config, "source_name") != NULL
                                 ? opt_string(config, "source_name")
                                 : (host->instance != NULL ? host->instance : "splunk"));
    if (token != NULL && asprintf(&st->auth_header, "Authorization: Bearer %s", token) < 0)
        st->auth_header = NULL;
    if (st->base_url == NULL || st->search == NULL || st->saved_searches_path == NULL ||
        st->source_name == NULL || (token != NULL && st->auth_header == NULL) ||
        sp_seen_init(&st->seen, (size_t)seen_max) != 0)
        return fail_init(host, "out of memory");
    st->no_verify_tls = json_is_false(json_object_get(config, "verify_tls"));
    st->timeout_ms = opt_int(config, "timeout", 30000);
    long retries = opt_int(config, "retries", 0);
    st->retries = retries < 0 ? -1 : (int)retries;
    st->lookback_s = opt_int(config, "lookback", 600000) / 1000;
    st->delay_s = opt_int(config, "delay", 30000) / 1000;
    st->first_window_s = opt_int(config, "first_window", 3600000) / 1000;
    st->enrich = !json_is_false(json_object_get(config, "enrich"));
    st->enrich_ttl_s = opt_int(config, "enrich_ttl", 3600000) / 1000;
    st->seen_max = (size_t)seen_max;
    st->max_line = (size_t)max_line;
    if (st->first_window_s < 1 || st->first_window_s <= st->delay_s)
        return fail_init(host, "first_window: must be at least 1s and longer than delay");
    if (st->no_verify_tls)
        host->log(host, NBSOAR_LOG_WARN, "verify_tls = false: splunkd's certificate is not checked");
    host->log(host, NBSOAR_LOG_DEBUG, "Splunk at %s, %s", st->base_url,
              token != NULL ? "token auth" : "session login");
    return NBSOAR_OK;
}

static int splunk_poll(void *state)
{
    return sp_poll(state);
}

static int splunk_apply(void *state, const json_t *operation, const struct nbsoar_job *job,
                        json_t **result)
{
    struct sp_state *st = state;
    struct sp_update u;
    char err[1400] = "";
    *result = NULL;
    if (sp_update_validate(operation, job != NULL ? job->event : NULL, &u, err, sizeof(err)) !=
        NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_WARN, "operation refused: %s", err);
        *result = json_pack("{s:s}", "error", err);
        return NBSOAR_ERROR;
    }
    json_t *res = NULL;
    int rc = sp_update_apply(st, &u, &res, err, sizeof(err));
    if (rc == NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_INFO, "SplunkUpdateNotable applied to %s", u.event_id);
        *result = res;
        return NBSOAR_OK;
    }
    int retry = rc == NBSOAR_RETRY;
    st->host->log(st->host, retry ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR,
                  "SplunkUpdateNotable on %s %s: %s", u.event_id,
                  retry ? "will be retried" : "failed", err);
    if (res == NULL)
        res = json_object();
    json_object_set_new(res, "error", json_string(err));
    *result = res;
    return rc;
}

static void splunk_shutdown(void *state)
{
    struct sp_state *st = state;
    if (st == NULL)
        return;
    free(st->base_url);
    free(st->token);
    free(st->username);
    free(st->password);
    free(st->ca_file);
    free(st->proxy);
    free(st->auth_header);
    free(st->search);
    free(st->source_name);
    free(st->saved_searches_path);
    sp_seen_free(&st->seen);
    json_decref(st->enrich_cache);
    pthread_mutex_destroy(&st->auth_lock);
    free(st);
}

static const struct nbsoar_plugin splunk_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "splunk",
    .version = SPLUNK_VERSION,
    .description = "Splunk ES: notable events (export search, enriched with their correlation "
                   "search) and SplunkUpdateNotable operations",
    .config = splunk_config,
    .init = splunk_init,
    .poll = splunk_poll,
    .apply = splunk_apply,
    .operations = sp_operation_names,
    .shutdown = splunk_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &splunk_plugin;
}
