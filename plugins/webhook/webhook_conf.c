/* webhook configuration: the declared keys, per-path settings, checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

#define WH_DEFAULT_MAX_BODY 1048576 /* 1 MiB */
#define WH_DEFAULT_MAX_EVENTS 1000
#define STR(x) #x
#define XSTR(x) STR(x)

const struct nbsoar_config_key webhook_config_keys[] = {
    {"listen", NBSOAR_KEY_STRING, "127.0.0.1:8080", 0,
     "HOST:PORT to listen on ([::1]:PORT for IPv6); loopback unless you mean otherwise"},
    {"path.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "path.NAME = /url-path: a URL path events are POSTed to"},
    {"map.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "map.NAME = misp|thehive|splunk|generic: how payloads on path.NAME become events (default generic)"},
    {"token", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "bearer token every path requires (use vault:NAME)"},
    {"token.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX | NBSOAR_KEY_SECRET,
     "token.NAME: the bearer token of path.NAME, instead of the global one"},
    {"token_header", NBSOAR_KEY_STRING, "Authorization", 0,
     "header carrying the token: Authorization (\"Bearer TOKEN\") or another header with the bare token"},
    {"token_header.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "token_header.NAME: the token header of path.NAME"},
    {"hmac_secret", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET,
     "HMAC-SHA256 secret every path's signature is checked with (use vault:NAME)"},
    {"hmac_secret.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX | NBSOAR_KEY_SECRET,
     "hmac_secret.NAME: the HMAC secret of path.NAME, instead of the global one"},
    {"hmac_header", NBSOAR_KEY_STRING, "X-Hub-Signature-256", 0,
     "header with the body's HMAC-SHA256, as sha256=HEX or bare HEX"},
    {"hmac_header.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "hmac_header.NAME: the signature header of path.NAME"},
    {"id_field.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "id_field.NAME: dotted path of the event id in payloads of path.NAME (default: the "
     "mapping's, else a hash of the payload)"},
    {"title_field.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX,
     "title_field.NAME: dotted path of the event title in payloads of path.NAME"},
    {"fields.", NBSOAR_KEY_LIST, NULL, NBSOAR_KEY_PREFIX,
     "fields.NAME = out=dotted.path, ...: extra event fields copied from the payload"},
    {"allow_anonymous", NBSOAR_KEY_BOOL, "false", 0,
     "accept paths that have neither token nor HMAC secret"},
    {"max_body_bytes", NBSOAR_KEY_INT, XSTR(WH_DEFAULT_MAX_BODY), 0,
     "largest request body; a bigger one is refused with 413 before it is read"},
    {"max_events", NBSOAR_KEY_INT, XSTR(WH_DEFAULT_MAX_EVENTS), 0,
     "most events in one request (array or NDJSON lines)"},
    {"timeout", NBSOAR_KEY_DURATION_MS, "10s", 0,
     "time a client has to send one whole request"},
    {"threads", NBSOAR_KEY_INT, "4", 0,
     "requests served at once (1-64), so a slow client does not hold up the others"},
    {NULL, 0, NULL, 0, NULL},
};

static const char *conf_str(const json_t *config, const char *key)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static long long conf_int(const json_t *config, const char *key, long long dflt)
{
    const json_t *v = json_object_get(config, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* prefix.NAME when present (empty: none, so `token.NAME =` opts a path
 * out of the global token), else the global key's value (may be NULL). */
static char *per_path(const json_t *config, const char *prefix, const char *name,
                      const char *global_key)
{
    char key[256];
    snprintf(key, sizeof(key), "%s.%s", prefix, name);
    const char *v = json_string_value(json_object_get(config, key));
    if (v == NULL && global_key != NULL)
        v = conf_str(config, global_key);
    return v != NULL && v[0] != '\0' ? strdup(v) : NULL;
}

static int parse_map(const char *text, enum wh_map *out)
{
    static const struct { const char *name; enum wh_map map; } maps[] = {
        {"generic", WH_MAP_GENERIC}, {"misp", WH_MAP_MISP},
        {"thehive", WH_MAP_THEHIVE}, {"splunk", WH_MAP_SPLUNK},
    };
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
        if (strcmp(text, maps[i].name) == 0) {
            *out = maps[i].map;
            return 0;
        }
    return -1;
}

/* "out=dotted.path" items into an object. */
static int parse_field_map(struct webhook *wh, const char *name, const json_t *list, json_t **out)
{
    *out = NULL;
    if (!json_is_array(list))
        return NBSOAR_OK;
    json_t *obj = json_object();
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item) {
        const char *text = json_string_value(item);
        const char *eq = text != NULL ? strchr(text, '=') : NULL;
        if (eq == NULL || eq == text || eq[1] == '\0') {
            wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                          "fields.%s: item '%s' is not OUT=dotted.path", name, text ? text : "");
            json_decref(obj);
            return NBSOAR_ERROR;
        }
        char out_name[256];
        snprintf(out_name, sizeof(out_name), "%.*s", (int)(eq - text), text);
        json_object_set_new(obj, out_name, json_string(eq + 1));
    }
    *out = obj;
    return NBSOAR_OK;
}

static int load_path(struct webhook *wh, const json_t *config, const char *name, const char *url,
                     struct wh_path *p)
{
    char key[256];
    p->name = strdup(name);
    p->url_path = strdup(url);
    if (url[0] != '/' || strpbrk(url, "?# \t") != NULL) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                      "path.%s = '%s': a URL path starts with '/' and has no query, fragment or space",
                      name, url);
        return NBSOAR_ERROR;
    }
    snprintf(key, sizeof(key), "map.%s", name);
    const char *map = conf_str(config, key);
    if (map != NULL && parse_map(map, &p->map) != 0) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                      "%s = '%s': expected misp, thehive, splunk or generic", key, map);
        return NBSOAR_ERROR;
    }
    p->token = per_path(config, "token", name, "token");
    p->token_header = per_path(config, "token_header", name, "token_header");
    p->hmac_secret = per_path(config, "hmac_secret", name, "hmac_secret");
    p->hmac_header = per_path(config, "hmac_header", name, "hmac_header");
    p->id_field = per_path(config, "id_field", name, NULL);
    p->title_field = per_path(config, "title_field", name, NULL);
    if (p->token_header == NULL)
        p->token_header = strdup("Authorization");
    if (p->hmac_header == NULL)
        p->hmac_header = strdup("X-Hub-Signature-256");
    snprintf(key, sizeof(key), "fields.%s", name);
    if (parse_field_map(wh, name, json_object_get(config, key), &p->field_map) != NBSOAR_OK)
        return NBSOAR_ERROR;
    /* Registered here too: the host registers vault values, not always plain ones. */
    if (p->token != NULL)
        wh->host->secret_add(wh->host, p->token);
    if (p->hmac_secret != NULL)
        wh->host->secret_add(wh->host, p->hmac_secret);
    if (p->token == NULL && p->hmac_secret == NULL &&
        !json_is_true(json_object_get(config, "allow_anonymous"))) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                      "path.%s (%s) has no token and no hmac_secret: set one (token = vault:NAME) "
                      "or allow_anonymous = true", name, url);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

/* Every NAME used by map./token./... must have a path.NAME: a typo would
 * otherwise silently leave a path unauthenticated or unmapped. */
static int check_names(struct webhook *wh, const json_t *config)
{
    static const char *const prefixes[] = {"map.", "token.", "token_header.", "hmac_secret.",
                                           "hmac_header.", "id_field.", "title_field.", "fields.",
                                           NULL};
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)config, key, v) {
        for (int i = 0; prefixes[i] != NULL; i++) {
            size_t n = strlen(prefixes[i]);
            if (strncmp(key, prefixes[i], n) != 0)
                continue;
            char path_key[256];
            snprintf(path_key, sizeof(path_key), "path.%s", key + n);
            if (json_object_get(config, path_key) == NULL) {
                wh->host->log(wh->host, NBSOAR_LOG_ERROR, "%s: there is no %s", key, path_key);
                return NBSOAR_ERROR;
            }
        }
    }
    return NBSOAR_OK;
}

int webhook_conf_load(struct webhook *wh, const json_t *config)
{
    const char *listen = conf_str(config, "listen");
    wh->listen = strdup(listen != NULL ? listen : "127.0.0.1:8080");
    long long max_body = conf_int(config, "max_body_bytes", WH_DEFAULT_MAX_BODY);
    long long max_events = conf_int(config, "max_events", WH_DEFAULT_MAX_EVENTS);
    wh->timeout_ms = (long)conf_int(config, "timeout", 10000);
    if (max_body <= 0 || max_events <= 0 || wh->timeout_ms <= 0) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                      "max_body_bytes, max_events and timeout must be positive");
        return NBSOAR_ERROR;
    }
    long long threads = conf_int(config, "threads", 4);
    if (threads < 1 || threads > WH_MAX_THREADS) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR, "threads = %lld: expected 1 to %d", threads,
                      WH_MAX_THREADS);
        return NBSOAR_ERROR;
    }
    wh->n_threads = (size_t)threads;
    wh->max_body_bytes = (size_t)max_body;
    wh->max_events = (size_t)max_events;
    if (check_names(wh, config) != NBSOAR_OK)
        return NBSOAR_ERROR;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)config, key, v) {
        if (strncmp(key, "path.", 5) != 0 || !json_is_string(v))
            continue;
        struct wh_path *grown = realloc(wh->paths, (wh->n_paths + 1) * sizeof(*grown));
        if (grown == NULL)
            return NBSOAR_ERROR;
        wh->paths = grown;
        struct wh_path *p = &wh->paths[wh->n_paths++];
        memset(p, 0, sizeof(*p));
        if (load_path(wh, config, key + 5, json_string_value(v), p) != NBSOAR_OK)
            return NBSOAR_ERROR;
        for (size_t i = 0; i + 1 < wh->n_paths; i++)
            if (strcmp(wh->paths[i].url_path, p->url_path) == 0) {
                wh->host->log(wh->host, NBSOAR_LOG_ERROR, "path.%s and path.%s are both %s",
                              wh->paths[i].name, p->name, p->url_path);
                return NBSOAR_ERROR;
            }
    }
    if (wh->n_paths == 0) {
        wh->host->log(wh->host, NBSOAR_LOG_ERROR,
                      "no path configured: add path.NAME = /url-path (and map.NAME = misp|thehive|"
                      "splunk|generic)");
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

void webhook_conf_free(struct webhook *wh)
{
    for (size_t i = 0; i < wh->n_paths; i++) {
        struct wh_path *p = &wh->paths[i];
        free(p->name);
        free(p->url_path);
        free(p->token);
        free(p->token_header);
        free(p->hmac_secret);
        free(p->hmac_header);
        free(p->id_field);
        free(p->title_field);
        json_decref(p->field_map);
    }
    free(wh->paths);
    free(wh->listen);
    wh->paths = NULL;
    wh->n_paths = 0;
}
