/* See misp_client.h.  Requests mirror PyMISP's _prepare_request(): the raw
 * key in Authorization (no scheme), Accept and Content-Type JSON on every
 * call, paths under the configured root.  Replies are checked like
 * _check_response(): 5xx transient, 4xx an error carrying MISP's
 * name/message/errors, 2xx JSON with {"response": ...} unwrapped. */
#include "misp_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MISP_USER_AGENT "nbsoar-misp/0.1 (PyMISP-compatible)"

static char *dup_str(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int misp_client_init(struct misp_client *c, const struct nbsoar_host *h, const char *url,
                     const char *key, int verify_tls, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->host = h;
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        snprintf(err, errlen, "url must start with http:// or https://");
        return NBSOAR_ERROR;
    }
    /* PyMISP strips the key; a key with a line break would split the header. */
    size_t klen = key != NULL ? strlen(key) : 0;
    while (klen > 0 && (key[klen - 1] == ' ' || key[klen - 1] == '\n' || key[klen - 1] == '\r'))
        klen--;
    while (klen > 0 && *key == ' ')
        key++, klen--;
    if (klen == 0 || memchr(key, '\n', klen) != NULL || memchr(key, '\r', klen) != NULL) {
        snprintf(err, errlen, "key is empty or holds a line break");
        return NBSOAR_ERROR;
    }
    c->base = dup_str(url);
    c->auth_header = malloc(klen + 32);
    if (c->base == NULL || c->auth_header == NULL) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    snprintf(c->auth_header, klen + 32, "Authorization: %.*s", (int)klen, key);
    h->secret_add(h, c->auth_header + strlen("Authorization: "));
    size_t n = strlen(c->base);
    while (n > 0 && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    c->headers[0] = "Accept: application/json";
    c->headers[1] = "User-Agent: " MISP_USER_AGENT;
    c->headers[2] = NULL;
    c->ep.auth_header = c->auth_header;
    c->ep.no_verify_tls = !verify_tls;
    c->ep.headers = c->headers;
    return NBSOAR_OK;
}

void misp_client_free(struct misp_client *c)
{
    free(c->base);
    free(c->auth_header);
    c->base = c->auth_header = NULL;
}

/* MISP's error bodies: {name, message, url, errors}; errors may be a
 * string, an object of field -> reasons, or a list. */
static void describe_error_body(const json_t *body, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!json_is_object(body))
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *message = json_string_value(json_object_get(body, "message"));
    json_t *errors = json_object_get(body, "errors");
    size_t len = 0;
    if (message != NULL)
        len += snprintf(out + len, outlen - len, "%s", message);
    else if (name != NULL)
        len += snprintf(out + len, outlen - len, "%s", name);
    if (len < outlen && errors != NULL && !json_is_null(errors)) {
        char *text = json_is_string(errors) ? strdup(json_string_value(errors))
                                            : json_dumps(errors, JSON_COMPACT);
        if (text != NULL)
            snprintf(out + len, outlen - len, "%serrors: %.400s", len ? "; " : "", text);
        free(text);
    }
}

static int is_auth_failure(long status, const char *detail)
{
    return status == 401 || (status == 403 && strstr(detail, "Authentication failed") != NULL);
}

static int check_reply(const struct nbsoar_http_response *resp, const char *method,
                       const char *path, char *err, size_t errlen)
{
    char detail[640];
    describe_error_body(resp->json, detail, sizeof(detail));
    if (resp->status >= 400) {
        if (is_auth_failure(resp->status, detail))
            snprintf(err, errlen, "MISP refused the API key (HTTP %ld on %s %s): %s", resp->status,
                     method, path, detail[0] ? detail : "authentication failed");
        else
            snprintf(err, errlen, "MISP %s %s: HTTP %ld: %s", method, path, resp->status,
                     detail[0] ? detail : "(no error message)");
        return NBSOAR_ERROR;
    }
    if (resp->status < 200 || resp->status >= 300) {
        snprintf(err, errlen, "MISP %s %s: unexpected HTTP %ld", method, path, resp->status);
        return NBSOAR_ERROR;
    }
    if (resp->json == NULL) {
        snprintf(err, errlen, "MISP %s %s: HTTP %ld but the reply is not JSON", method, path,
                 resp->status);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

int misp_call(struct misp_client *c, const char *method, const char *path, const json_t *body,
              int idempotent, json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    size_t ulen = strlen(c->base) + strlen(path) + 2;
    char *url = malloc(ulen);
    if (url == NULL) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    snprintf(url, ulen, "%s/%s", c->base, path[0] == '/' ? path + 1 : path);
    /* Bodyless requests still say Content-Type: application/json, as PyMISP does. */
    const char *get_headers[] = {c->headers[0], c->headers[1], "Content-Type: application/json", NULL};
    struct nbsoar_http_endpoint ep = c->ep;
    if (body == NULL)
        ep.headers = get_headers;
    struct nbsoar_http_request req = {.method = method, .url = url, .json = body,
                                      .idempotent = idempotent};
    struct nbsoar_http_response resp;
    char herr[768] = "";
    int rc = c->host->http(c->host, &ep, &req, &resp, herr, sizeof(herr));
    free(url);
    if (rc == NBSOAR_RETRY) {
        char detail[640] = "";
        describe_error_body(resp.json, detail, sizeof(detail));
        if (resp.status >= 500)
            snprintf(err, errlen, "MISP %s %s: HTTP %ld (server error, will retry): %s", method,
                     path, resp.status, detail[0] ? detail : herr);
        else
            snprintf(err, errlen, "MISP %s %s unreachable (will retry): %s", method, path, herr);
    } else if (rc != NBSOAR_OK) {
        snprintf(err, errlen, "MISP %s %s: %s", method, path, herr);
    } else {
        rc = check_reply(&resp, method, path, err, errlen);
        if (rc == NBSOAR_OK) {
            *out = resp.json;
            resp.json = NULL;
        }
    }
    c->host->http_response_free(&resp);
    return rc;
}

/* Ids and uuids go into paths: only [A-Za-z0-9-] is let through. */
static int path_safe(const char *id, const char *what, char *err, size_t errlen)
{
    if (id == NULL || id[0] == '\0' || strlen(id) > 64 ||
        strspn(id, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-") != strlen(id)) {
        snprintf(err, errlen, "%s \"%.80s\" is not an id or uuid", what, id ? id : "");
        return 0;
    }
    return 1;
}

/* *out = reply[key] when it is an object (or an array when want_array). */
static int take_member(json_t *reply, const char *key, int want_array, json_t **out,
                       const char *what, char *err, size_t errlen)
{
    json_t *m = json_object_get(reply, key);
    if (m == NULL || (want_array ? !json_is_array(m) : !json_is_object(m))) {
        snprintf(err, errlen, "MISP %s: reply has no %s \"%s\" (unexpected shape)", what,
                 want_array ? "list" : "object", key);
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    *out = json_incref(m);
    json_decref(reply);
    return NBSOAR_OK;
}

int misp_get_version(struct misp_client *c, char **version, char *err, size_t errlen)
{
    json_t *reply;
    *version = NULL;
    int rc = misp_call(c, "GET", "servers/getVersion", NULL, 0, &reply, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    const char *v = json_string_value(json_object_get(reply, "version"));
    if (v == NULL) {
        snprintf(err, errlen, "MISP GET servers/getVersion: reply has no \"version\" (is this MISP?)");
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    *version = strdup(v);
    json_decref(reply);
    return *version != NULL ? NBSOAR_OK : NBSOAR_ERROR;
}

int misp_get_event(struct misp_client *c, const char *id, json_t **event, char *err, size_t errlen)
{
    char path[128];
    json_t *reply;
    *event = NULL;
    if (!path_safe(id, "event", err, errlen))
        return NBSOAR_ERROR;
    snprintf(path, sizeof(path), "events/view/%s", id);
    int rc = misp_call(c, "GET", path, NULL, 0, &reply, err, errlen);
    return rc != NBSOAR_OK ? rc : take_member(reply, "Event", 0, event, path, err, errlen);
}

json_t *misp_search_body(const struct misp_search *q)
{
    static const char *const zero_flags[] = {
        "withAttachments", "enforceWarninglist", "includeEventUuid", "sgReferenceOnly",
        "includeContext", "headerless", "includeSightings", "includeDecayScore",
        "includeCorrelations", "excludeDecayed", NULL};
    json_t *b = json_object();
    json_object_set_new(b, "returnFormat", json_string("json"));
    if (q->limit > 0)
        json_object_set_new(b, "limit", json_integer(q->limit));
    if (q->page > 0)
        json_object_set_new(b, "page", json_integer(q->page));
    if (q->value != NULL)
        json_object_set_new(b, "value", json_string(q->value));
    if (q->type != NULL)
        json_object_set_new(b, "type", json_string(q->type));
    if (q->tags != NULL)
        json_object_set(b, "tags", (json_t *)q->tags);
    if (q->eventid != NULL)
        json_object_set(b, "eventid", (json_t *)q->eventid);
    if (q->org != NULL)
        json_object_set(b, "org", (json_t *)q->org);
    if (q->uuid != NULL)
        json_object_set_new(b, "uuid", json_string(q->uuid));
    if (q->timestamp >= 0)
        json_object_set_new(b, "timestamp", json_integer(q->timestamp));
    if (q->last != NULL)
        json_object_set_new(b, "last", json_string(q->last));
    if (q->published >= 0)
        json_object_set_new(b, "published", json_boolean(q->published));
    json_object_set_new(b, "metadata", json_integer(q->metadata ? 1 : 0));
    json_object_set_new(b, "includeEventTags", json_integer(q->include_event_tags ? 1 : 0));
    for (const char *const *f = zero_flags; *f != NULL; f++)
        json_object_set_new(b, *f, json_integer(0));
    return b;
}

static int search(struct misp_client *c, const char *controller, const struct misp_search *q,
                  json_t **reply, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/restSearch", controller);
    json_t *body = misp_search_body(q);
    if (body == NULL) {
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    int rc = misp_call(c, "POST", path, body, 1, reply, err, errlen);
    json_decref(body);
    return rc;
}

int misp_search_events(struct misp_client *c, const struct misp_search *q, json_t **events,
                       char *err, size_t errlen)
{
    json_t *reply;
    *events = NULL;
    int rc = search(c, "events", q, &reply, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    json_t *list = json_object_get(reply, "response");
    if (!json_is_array(list)) {
        snprintf(err, errlen, "MISP events/restSearch: reply has no list \"response\" (unexpected shape)");
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        if (!json_is_object(json_object_get(item, "Event"))) {
            snprintf(err, errlen, "MISP events/restSearch: response[%zu] is not {\"Event\": {...}}", i);
            json_decref(reply);
            return NBSOAR_ERROR;
        }
    }
    *events = json_incref(list);
    json_decref(reply);
    return NBSOAR_OK;
}

int misp_search_attributes(struct misp_client *c, const struct misp_search *q,
                           json_t **attributes, char *err, size_t errlen)
{
    json_t *reply;
    *attributes = NULL;
    int rc = search(c, "attributes", q, &reply, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    json_t *resp = json_incref(json_object_get(reply, "response"));
    json_decref(reply);
    if (resp == NULL) {
        snprintf(err, errlen, "MISP attributes/restSearch: reply has no \"response\" (unexpected shape)");
        return NBSOAR_ERROR;
    }
    return take_member(resp, "Attribute", 1, attributes, "attributes/restSearch", err, errlen);
}

int misp_add_event(struct misp_client *c, const json_t *event, json_t **created, char *err,
                   size_t errlen)
{
    json_t *reply;
    *created = NULL;
    int rc = misp_call(c, "POST", "events/add", event, 0, &reply, err, errlen);
    return rc != NBSOAR_OK ? rc : take_member(reply, "Event", 0, created, "events/add", err, errlen);
}

int misp_add_attribute(struct misp_client *c, const char *event, const json_t *attribute,
                       json_t **created, char *err, size_t errlen)
{
    char path[128];
    json_t *reply;
    *created = NULL;
    if (!path_safe(event, "event", err, errlen))
        return NBSOAR_ERROR;
    snprintf(path, sizeof(path), "attributes/add/%s", event);
    int rc = misp_call(c, "POST", path, attribute, 0, &reply, err, errlen);
    return rc != NBSOAR_OK ? rc : take_member(reply, "Attribute", 0, created, path, err, errlen);
}

/* saveSuccessResponse bodies: {"saved": true, "success": true, "name", "message", ...}. */
static int expect_saved(json_t *reply, const char *path, json_t **result, char *err, size_t errlen)
{
    json_t *saved = json_object_get(reply, "saved");
    json_t *success = json_object_get(reply, "success");
    if (!json_is_object(reply) || (saved == NULL && success == NULL)) {
        snprintf(err, errlen, "MISP %s: reply has no \"saved\"/\"success\" (unexpected shape)", path);
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    if (json_is_false(saved) || json_is_false(success)) {
        char detail[640];
        describe_error_body(reply, detail, sizeof(detail));
        snprintf(err, errlen, "MISP %s: not saved: %s", path, detail);
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    *result = reply;
    return NBSOAR_OK;
}

int misp_attach_tag(struct misp_client *c, const char *uuid, const char *tag, int local,
                    json_t **result, char *err, size_t errlen)
{
    json_t *reply;
    *result = NULL;
    json_t *body = json_pack("{s:s, s:s, s:b}", "uuid", uuid, "tag", tag, "local", local);
    if (body == NULL) {
        snprintf(err, errlen, "tag or uuid is not valid UTF-8");
        return NBSOAR_ERROR;
    }
    int rc = misp_call(c, "POST", "tags/attachTagToObject", body, 0, &reply, err, errlen);
    json_decref(body);
    return rc != NBSOAR_OK ? rc : expect_saved(reply, "tags/attachTagToObject", result, err, errlen);
}

int misp_add_sighting(struct misp_client *c, const json_t *sighting, json_t **result, char *err,
                      size_t errlen)
{
    json_t *reply;
    *result = NULL;
    int rc = misp_call(c, "POST", "sightings/add", sighting, 0, &reply, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    /* The controller answers failures with 200 and only a message. */
    if (!json_is_object(json_object_get(reply, "Sighting"))) {
        const char *m = json_string_value(json_object_get(reply, "message"));
        snprintf(err, errlen, "MISP sightings/add: %s", m ? m : "reply has no \"Sighting\" (unexpected shape)");
        json_decref(reply);
        return NBSOAR_ERROR;
    }
    return take_member(reply, "Sighting", 0, result, "sightings/add", err, errlen);
}

int misp_publish(struct misp_client *c, const char *event, json_t **result, char *err,
                 size_t errlen)
{
    char path[128];
    json_t *reply;
    *result = NULL;
    if (!path_safe(event, "event", err, errlen))
        return NBSOAR_ERROR;
    snprintf(path, sizeof(path), "events/publish/%s", event);
    int rc = misp_call(c, "POST", path, NULL, 0, &reply, err, errlen);
    return rc != NBSOAR_OK ? rc : expect_saved(reply, path, result, err, errlen);
}

int misp_add_event_report(struct misp_client *c, const char *event, const json_t *report,
                          json_t **created, char *err, size_t errlen)
{
    char path[128];
    json_t *reply;
    *created = NULL;
    if (!path_safe(event, "event", err, errlen))
        return NBSOAR_ERROR;
    snprintf(path, sizeof(path), "eventReports/add/%s", event);
    int rc = misp_call(c, "POST", path, report, 0, &reply, err, errlen);
    return rc != NBSOAR_OK ? rc : take_member(reply, "EventReport", 0, created, path, err, errlen);
}
