/* spool events: parse, check the fields of the event format, normalise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "spool.h"

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL:
    default: return "null";
    }
}

/* The event format's typed fields; a wrong type is named, not guessed at. */
static int check_fields(const json_t *ev, char *reason, size_t reasonlen)
{
    static const char *const strings[] = {"id", "source", "type", "time", "title", NULL};
    static const char *const objects[] = {"fields", "raw", "ref", NULL};
    for (int i = 0; strings[i] != NULL; i++) {
        const json_t *v = json_object_get(ev, strings[i]);
        if (v != NULL && !json_is_string(v)) {
            snprintf(reason, reasonlen, "field \"%s\" must be a string, not %s", strings[i], type_name(v));
            return NBSOAR_ERROR;
        }
    }
    for (int i = 0; objects[i] != NULL; i++) {
        const json_t *v = json_object_get(ev, objects[i]);
        if (v != NULL && !json_is_object(v)) {
            snprintf(reason, reasonlen, "field \"%s\" must be an object, not %s", objects[i], type_name(v));
            return NBSOAR_ERROR;
        }
    }
    return NBSOAR_OK;
}

/* "sha256:" + hex of the event's canonical text (sorted keys, compact), so
 * the same event dropped twice gets the same id and the host drops the
 * duplicate. */
static int derive_id(json_t *ev, char *reason, size_t reasonlen)
{
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int ok = text != NULL && EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) == 1;
    free(text);
    if (!ok) {
        snprintf(reason, reasonlen, "cannot hash the event to derive an id");
        return NBSOAR_ERROR;
    }
    char id[8 + 2 * EVP_MAX_MD_SIZE + 1] = "sha256:";
    for (unsigned int i = 0; i < mdlen; i++)
        snprintf(id + 7 + 2 * i, 3, "%02x", md[i]);
    json_object_set_new(ev, "id", json_string(id));
    return NBSOAR_OK;
}

static void now_iso8601(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char secs[32];
    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", secs, ts.tv_nsec / 1000000);
}

int spool_event_parse(const struct spool *sp, const char *buf, size_t len, json_t **event,
                      char *reason, size_t reasonlen)
{
    *event = NULL;
    if (len > sp->max_event_bytes) {
        snprintf(reason, reasonlen, "event is %zu bytes, more than max_event_bytes (%zu)", len,
                 sp->max_event_bytes);
        return NBSOAR_ERROR;
    }
    size_t blank = 0;
    while (blank < len && (buf[blank] == ' ' || buf[blank] == '\t' || buf[blank] == '\n' || buf[blank] == '\r'))
        blank++;
    if (blank == len) {
        snprintf(reason, reasonlen, "empty: no JSON value");
        return NBSOAR_ERROR;
    }
    json_error_t jerr;
    json_t *ev = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
    if (ev == NULL) {
        snprintf(reason, reasonlen, "not valid JSON: %s at line %d column %d", jerr.text, jerr.line,
                 jerr.column);
        return NBSOAR_ERROR;
    }
    if (!json_is_object(ev)) {
        snprintf(reason, reasonlen, "the JSON value is %s, not an object: one event object per file or line",
                 type_name(ev));
        json_decref(ev);
        return NBSOAR_ERROR;
    }
    if (check_fields(ev, reason, reasonlen) != NBSOAR_OK) {
        json_decref(ev);
        return NBSOAR_ERROR;
    }
    const char *id = json_string_value(json_object_get(ev, "id"));
    if (id == NULL || id[0] == '\0') {
        if (sp->require_id) {
            snprintf(reason, reasonlen, "missing field \"id\" (a non-empty string; "
                     "or set require_id = false to derive one)");
            json_decref(ev);
            return NBSOAR_ERROR;
        }
        /* Hash before filling source and time, which change with each read. */
        json_object_del(ev, "id");
        if (derive_id(ev, reason, reasonlen) != NBSOAR_OK) {
            json_decref(ev);
            return NBSOAR_ERROR;
        }
    }
    if (json_object_get(ev, "source") == NULL)
        json_object_set_new(ev, "source", json_string(sp->source_name));
    if (json_object_get(ev, "time") == NULL) {
        char when[64];
        now_iso8601(when, sizeof(when));
        json_object_set_new(ev, "time", json_string(when));
    }
    *event = ev;
    return NBSOAR_OK;
}
