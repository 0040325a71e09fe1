/* webhook bodies: one JSON object, a JSON array of objects, or NDJSON (one
 * object per line), split into payloads with errors that name line and
 * column. */
#include <stdio.h>
#include <string.h>

#include "webhook.h"

static const char *kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int add_payload(json_t *payloads, json_t *v, size_t max_events, const char *where,
                       char *err, size_t errlen)
{
    if (!json_is_object(v)) {
        snprintf(err, errlen, "%s is %s, not an object", where, kind_of(v));
        json_decref(v);
        return NBSOAR_ERROR;
    }
    if (json_array_size(payloads) >= max_events) {
        snprintf(err, errlen, "more than max_events (%zu) events in one request", max_events);
        json_decref(v);
        return NBSOAR_ERROR;
    }
    json_array_append_new(payloads, v);
    return NBSOAR_OK;
}

static int parse_ndjson(const char *body, size_t len, size_t max_events, json_t *payloads,
                        char *err, size_t errlen)
{
    size_t lineno = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(body + at, '\n', len - at);
        size_t end = nl != NULL ? (size_t)(nl - body) : len, n = end - at;
        lineno++;
        while (n > 0 && (body[at + n - 1] == '\r' || body[at + n - 1] == ' ' || body[at + n - 1] == '\t'))
            n--;
        if (strspn(body + at, " \t") < n) {
            json_error_t jerr;
            json_t *v = json_loadb(body + at, n, JSON_DECODE_ANY, &jerr);
            char where[48];
            snprintf(where, sizeof(where), "line %zu", lineno);
            if (v == NULL) {
                snprintf(err, errlen, "broken JSON at line %zu column %d: %s", lineno, jerr.column,
                         jerr.text);
                return NBSOAR_ERROR;
            }
            if (add_payload(payloads, v, max_events, where, err, errlen) != NBSOAR_OK)
                return NBSOAR_ERROR;
        }
        at = end + 1;
    }
    return NBSOAR_OK;
}

int wh_body_parse(const char *body, size_t len, int ndjson, size_t max_events, json_t **payloads,
                  char *err, size_t errlen)
{
    *payloads = json_array();
    if (strspn(body, " \t\r\n") >= len) {
        snprintf(err, errlen, "empty body: expected a JSON object, an array or NDJSON");
        goto fail;
    }
    if (ndjson) {
        if (parse_ndjson(body, len, max_events, *payloads, err, errlen) != NBSOAR_OK)
            goto fail;
        return NBSOAR_OK;
    }
    json_error_t jerr;
    json_t *v = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (v == NULL) {
        /* A second value after the first: NDJSON sent as application/json. */
        if (json_error_code(&jerr) == json_error_end_of_input_expected) {
            if (parse_ndjson(body, len, max_events, *payloads, err, errlen) != NBSOAR_OK)
                goto fail;
            return NBSOAR_OK;
        }
        snprintf(err, errlen, "broken JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        goto fail;
    }
    if (!json_is_array(v)) {
        if (add_payload(*payloads, v, max_events, "the body", err, errlen) != NBSOAR_OK)
            goto fail;
        return NBSOAR_OK;
    }
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        char where[48];
        snprintf(where, sizeof(where), "array item %zu", i);
        if (add_payload(*payloads, json_incref(item), max_events, where, err, errlen) != NBSOAR_OK) {
            json_decref(v);
            goto fail;
        }
    }
    json_decref(v);
    return NBSOAR_OK;
fail:
    json_decref(*payloads);
    *payloads = NULL;
    return NBSOAR_ERROR;
}
