/* webhook requests: which path, who may post, what the body holds, and the
 * answer — 202 only once the host accepted every event. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

void wh_error(struct wh_response *resp, int status, const char *fmt, ...)
{
    char msg[WH_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    resp->status = status;
    json_decref(resp->body);
    resp->body = json_pack("{s:s}", "error", msg);
}

/* The media type without parameters, lower case, into buf. */
static const char *media_type(const struct wh_request *req, char *buf, size_t len)
{
    const char *ct = wh_header(req, "Content-Type");
    if (ct == NULL)
        return NULL;
    size_t n = strcspn(ct, "; \t");
    snprintf(buf, len, "%.*s", (int)n, ct);
    for (char *c = buf; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    return buf;
}

static int is_ndjson(const char *type)
{
    static const char *const types[] = {"application/x-ndjson", "application/ndjson",
                                        "application/jsonl", "application/x-jsonlines", NULL};
    for (int i = 0; type != NULL && types[i] != NULL; i++)
        if (strcmp(type, types[i]) == 0)
            return 1;
    return 0;
}

static int is_json_type(const char *type)
{
    size_t n = strlen(type);
    return strcmp(type, "application/json") == 0 || strcmp(type, "text/plain") == 0 ||
           (strncmp(type, "application/", 12) == 0 && n > 5 && strcmp(type + n - 5, "+json") == 0) ||
           is_ndjson(type);
}

const struct wh_path *wh_check_head(struct webhook *wh, const struct wh_request *req,
                                    long long content_length, struct wh_response *resp)
{
    const struct wh_path *p = NULL;
    for (size_t i = 0; i < wh->n_paths && p == NULL; i++)
        if (strcmp(wh->paths[i].url_path, req->path) == 0)
            p = &wh->paths[i];
    if (p == NULL) {
        wh_error(resp, 404, "no webhook at this path");
        return NULL;
    }
    if (strcmp(req->method, "POST") != 0 && strcmp(req->method, "PUT") != 0) {
        wh_error(resp, 405, "method %s not allowed: POST events", req->method);
        snprintf(resp->extra_header, sizeof(resp->extra_header), "Allow: POST, PUT");
        return NULL;
    }
    if (p->token != NULL && !wh_token_ok(p, req)) {
        int bearer = strcasecmp(p->token_header, "Authorization") == 0;
        wh_error(resp, 401, "missing or wrong token%s%s", bearer ? "" : " in header ",
                 bearer ? "" : p->token_header);
        if (bearer)
            snprintf(resp->extra_header, sizeof(resp->extra_header),
                     "WWW-Authenticate: Bearer realm=\"nbsoar\"");
        return NULL;
    }
    if (p->hmac_secret != NULL && wh_header(req, p->hmac_header) == NULL) {
        wh_error(resp, 401, "missing signature header %s", p->hmac_header);
        return NULL;
    }
    char type[128];
    if (media_type(req, type, sizeof(type)) != NULL && !is_json_type(type)) {
        wh_error(resp, 415, "Content-Type %s is not JSON: send application/json or application/x-ndjson",
                 type);
        return NULL;
    }
    if (content_length > 0 && (unsigned long long)content_length > wh->max_body_bytes) {
        wh_error(resp, 413, "body of %lld bytes is over max_body_bytes (%zu)", content_length,
                 wh->max_body_bytes);
        return NULL;
    }
    return p;
}

/* Every payload mapped before any is emitted: a bad one refuses the
 * request without half of it in the journal.  *events OWNED. */
static int map_all(struct webhook *wh, const struct wh_path *p, const json_t *payloads,
                   json_t **events, struct wh_response *resp)
{
    *events = json_array();
    size_t i;
    const json_t *payload;
    json_array_foreach(payloads, i, payload) {
        json_t *ev = NULL;
        char err[WH_ERR_MAX];
        if (wh_map_payload(wh, p, payload, &ev, err, sizeof(err)) != NBSOAR_OK) {
            if (json_array_size(payloads) > 1)
                wh_error(resp, 400, "event %zu: %s", i, err);
            else
                wh_error(resp, 400, "%s", err);
            json_decref(*events);
            *events = NULL;
            return NBSOAR_ERROR;
        }
        json_array_append_new(*events, ev);
    }
    return NBSOAR_OK;
}

void wh_handle_body(struct webhook *wh, const struct wh_path *p, const struct wh_request *req,
                    struct wh_response *resp)
{
    const struct nbsoar_host *h = wh->host;
    if (p->hmac_secret != NULL && !wh_hmac_ok(p, req)) {
        wh_error(resp, 401, "signature in %s does not match the body", p->hmac_header);
        return;
    }
    char type[128];
    json_t *payloads = NULL, *events = NULL;
    char err[WH_ERR_MAX];
    if (wh_body_parse(req->body, req->body_len, is_ndjson(media_type(req, type, sizeof(type))),
                      wh->max_events, &payloads, err, sizeof(err)) != NBSOAR_OK) {
        wh_error(resp, 400, "%s", err);
        return;
    }
    if (map_all(wh, p, payloads, &events, resp) != NBSOAR_OK) {
        json_decref(payloads);
        return;
    }
    json_decref(payloads);
    json_t *ids = json_array();
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev) {
        err[0] = '\0';
        int rc = h->emit_event(h, ev, err, sizeof(err));
        if (rc == NBSOAR_OK) {
            json_array_append(ids, json_object_get(ev, "id"));
            continue;
        }
        /* Events before this one may be journalled: the sender resends the
         * whole request and the journal drops the duplicates by id. */
        char *clean = h->redact(h, err);
        wh_error(resp, rc == NBSOAR_RETRY ? 503 : 500, "event %zu not accepted: %s", i,
                 clean != NULL ? clean : "refused");
        free(clean);
        if (rc == NBSOAR_RETRY)
            snprintf(resp->extra_header, sizeof(resp->extra_header), "Retry-After: 5");
        h->counter_add(h, "events_refused_total", 1);
        json_decref(ids);
        json_decref(events);
        return;
    }
    h->counter_add(h, "events_accepted_total", (double)json_array_size(ids));
    resp->status = 202;
    resp->body = json_pack("{s:I, s:o}", "accepted", (json_int_t)json_array_size(ids), "ids", ids);
    json_decref(events);
}
