/* Config keys of the misp plugin.  url, key and verifycert default to the
 * names MISP playbooks' keys.py uses (misp_url, misp_key, misp_verifycert),
 * so one vault file serves the host and the notebooks.  The host resolves
 * vault:NAME only for values written in the config, so the defaults are
 * resolved here through host->vault_get. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "misp.h"

const struct nbsoar_config_key misp_config_keys[] = {
    {"url", NBSOAR_KEY_STRING, "vault:misp_url", 0,
     "MISP base URL (https://misp.example/); default: misp_url from the vault"},
    {"key", NBSOAR_KEY_STRING, "vault:misp_key", NBSOAR_KEY_SECRET,
     "MISP API key, sent as Authorization: <key>; default: misp_key from the vault"},
    {"verifycert", NBSOAR_KEY_STRING, "vault:misp_verifycert", 0,
     "verify MISP's TLS certificate (true/false); default: misp_verifycert from the vault, "
     "true when the vault has none"},
    {"tags", NBSOAR_KEY_LIST, NULL, 0, "poll only events with one of these tags"},
    {"published", NBSOAR_KEY_STRING, "any", 0, "poll published events (true), unpublished (false) or any"},
    {"orgs", NBSOAR_KEY_LIST, NULL, 0, "poll only events created by one of these organisations"},
    {"threat_levels", NBSOAR_KEY_LIST, NULL, 0,
     "poll only events with one of these threat levels (1 high, 2 medium, 3 low, 4 undefined)"},
    {"page_limit", NBSOAR_KEY_INT, "100", 0, "events per restSearch page"},
    {"lookback", NBSOAR_KEY_DURATION_MS, "1h", 0,
     "first poll (no cursor yet): events edited within this long"},
    {"overlap", NBSOAR_KEY_DURATION_MS, "60s", 0,
     "each poll re-reads this window below its cursor, for edits MISP committed late"},
    {"include_raw", NBSOAR_KEY_BOOL, "true", 0, "event.raw holds the whole MISP event"},
    {NULL, 0, NULL, 0, NULL},
};

/* A config string, with vault:NAME looked up.  *out OWNED (NULL when the
 * vault has no such name and `optional`). */
static int conf_string(struct misp *m, const json_t *config, const char *key, int optional,
                       json_t **out, char *err, size_t errlen)
{
    const struct nbsoar_host *h = m->host;
    *out = NULL;
    json_t *v = json_object_get(config, key);
    const char *s = json_string_value(v);
    if (s == NULL) {
        if (optional)
            return NBSOAR_OK;
        snprintf(err, errlen, "%s: missing (set it, or put misp_%s in the vault)", key, key);
        return NBSOAR_ERROR;
    }
    if (strncmp(s, "vault:", 6) != 0) {
        *out = json_incref(v);
        return NBSOAR_OK;
    }
    if (h->vault_get(h, s + 6, out) != NBSOAR_OK || json_is_null(*out)) {
        json_decref(*out);
        *out = NULL;
        if (optional)
            return NBSOAR_OK;
        snprintf(err, errlen, "%s: no %s in the vault", key, s + 6);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

static int parse_bool(const json_t *v, int *out)
{
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v) != 0;
        return 0;
    }
    const char *s = json_string_value(v);
    if (s == NULL)
        return -1;
    if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes"))
        *out = 1;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no"))
        *out = 0;
    else
        return -1;
    return 0;
}

static json_t *list_or_null(const json_t *config, const char *key)
{
    json_t *v = json_object_get(config, key);
    return json_is_array(v) && json_array_size(v) > 0 ? json_incref(v) : NULL;
}

static int load_filters(struct misp *m, const json_t *config, char *err, size_t errlen)
{
    m->tags = list_or_null(config, "tags");
    m->orgs = list_or_null(config, "orgs");
    m->threat_levels = list_or_null(config, "threat_levels");
    size_t i;
    json_t *t;
    json_array_foreach(m->threat_levels, i, t) {
        const char *s = json_string_value(t);
        if (s == NULL || strlen(s) != 1 || s[0] < '1' || s[0] > '4') {
            snprintf(err, errlen, "threat_levels: \"%s\" is not 1, 2, 3 or 4", s ? s : "");
            return NBSOAR_ERROR;
        }
    }
    const char *pub = json_string_value(json_object_get(config, "published"));
    int b;
    if (pub == NULL || !strcasecmp(pub, "any")) {
        m->published = -1;
    } else if (parse_bool(json_object_get(config, "published"), &b) == 0) {
        m->published = b;
    } else {
        snprintf(err, errlen, "published: \"%s\" is not true, false or any", pub);
        return NBSOAR_ERROR;
    }
    json_int_t limit = json_integer_value(json_object_get(config, "page_limit"));
    if (limit < 1 || limit > 10000) {
        snprintf(err, errlen, "page_limit: %lld is not between 1 and 10000", (long long)limit);
        return NBSOAR_ERROR;
    }
    m->page_limit = (int)limit;
    m->lookback_s = json_integer_value(json_object_get(config, "lookback")) / 1000;
    m->overlap_s = json_integer_value(json_object_get(config, "overlap")) / 1000;
    if (m->lookback_s < 0 || m->overlap_s < 0) {
        snprintf(err, errlen, "lookback and overlap must not be negative");
        return NBSOAR_ERROR;
    }
    json_t *raw = json_object_get(config, "include_raw");
    m->include_raw = raw == NULL || json_is_true(raw);
    return NBSOAR_OK;
}

int misp_conf_load(struct misp *m, const json_t *config, char *err, size_t errlen)
{
    json_t *url = NULL, *key = NULL, *verify = NULL;
    int verify_tls = 1;
    int rc = conf_string(m, config, "url", 0, &url, err, errlen);
    if (rc == NBSOAR_OK)
        rc = conf_string(m, config, "key", 0, &key, err, errlen);
    if (rc == NBSOAR_OK)
        rc = conf_string(m, config, "verifycert", 1, &verify, err, errlen);
    if (rc == NBSOAR_OK && key != NULL && json_string_value(key) != NULL)
        m->host->secret_add(m->host, json_string_value(key));
    if (rc == NBSOAR_OK && (!json_is_string(url) || !json_is_string(key))) {
        snprintf(err, errlen, "%s: the vault value is not a string", json_is_string(url) ? "key" : "url");
        rc = NBSOAR_ERROR;
    }
    if (rc == NBSOAR_OK && verify != NULL && parse_bool(verify, &verify_tls) != 0) {
        snprintf(err, errlen, "verifycert: not true or false");
        rc = NBSOAR_ERROR;
    }
    if (rc == NBSOAR_OK)
        rc = misp_client_init(&m->client, m->host, json_string_value(url), json_string_value(key),
                              verify_tls, err, errlen);
    if (rc == NBSOAR_OK)
        rc = load_filters(m, config, err, errlen);
    if (rc == NBSOAR_OK && !verify_tls)
        m->host->log(m->host, NBSOAR_LOG_WARN, "TLS certificate verification is off (verifycert)");
    json_decref(url);
    json_decref(key);
    json_decref(verify);
    return rc;
}

void misp_conf_free(struct misp *m)
{
    misp_client_free(&m->client);
    json_decref(m->tags);
    json_decref(m->orgs);
    json_decref(m->threat_levels);
    free(m->source_name);
}
