/* A MISP event (the inner Event object of /events/view or restSearch) as
 * an nbsoar event: ref {system: misp, kind: event, id, uuid}, the event's
 * metadata in fields, and its attributes flattened twice -- one list of
 * {type, category, value, to_ids, uuid, object?} covering object
 * attributes too, and one list of distinct values per attribute type
 * (fields["ip-dst"], fields.domain...) so routes can match on them.
 * The event id carries the last-edit timestamp: an edited event is a new
 * nbsoar event, the same version always has the same id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misp.h"

/* Metadata keys in fields; an attribute type with one of these names
 * keeps its values in the attributes list only. */
static const char *const reserved[] = {"event_id", "uuid", "info", "threat_level_id", "analysis",
                                       "published", "date", "timestamp", "org", "tags",
                                       "attributes", NULL};

static int is_reserved(const char *name)
{
    for (const char *const *r = reserved; *r != NULL; r++)
        if (strcmp(*r, name) == 0)
            return 1;
    return 0;
}

/* MISP writes numbers as strings ("1513948642"); older exports as numbers. */
static long long number_of(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0')
        return -1;
    char *end;
    long long n = strtoll(s, &end, 10);
    return *end == '\0' && n >= 0 ? n : -1;
}

long long misp_event_timestamp(const json_t *mevent)
{
    return number_of(json_object_get(mevent, "timestamp"));
}

static void copy_string(json_t *dst, const char *key, const json_t *src, const char *skey)
{
    json_t *v = json_object_get(src, skey);
    if (json_is_string(v))
        json_object_set(dst, key, v);
    else if (json_is_integer(v))
        json_object_set_new(dst, key, json_sprintf("%lld", (long long)json_integer_value(v)));
}

static int truthy(const json_t *v)
{
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    const char *s = json_string_value(v);
    return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0);
}

/* Appends one attribute to fields.attributes and to fields[type] (values
 * kept distinct through `seen`, an object keyed "type\x1fvalue"). */
static void add_attribute(json_t *fields, json_t *list, json_t *seen, const json_t *a,
                          const char *object)
{
    const char *type = json_string_value(json_object_get(a, "type"));
    const char *value = json_string_value(json_object_get(a, "value"));
    if (type == NULL || value == NULL || truthy(json_object_get(a, "deleted")))
        return;
    json_t *flat = json_object();
    json_object_set_new(flat, "type", json_string(type));
    copy_string(flat, "category", a, "category");
    json_object_set_new(flat, "value", json_string(value));
    json_object_set_new(flat, "to_ids", json_boolean(truthy(json_object_get(a, "to_ids"))));
    copy_string(flat, "uuid", a, "uuid");
    copy_string(flat, "comment", a, "comment");
    if (object != NULL) {
        json_object_set_new(flat, "object", json_string(object));
        copy_string(flat, "object_relation", a, "object_relation");
    }
    json_array_append_new(list, flat);
    if (is_reserved(type))
        return;
    char *key = NULL;
    if (asprintf(&key, "%s\x1f%s", type, value) < 0)
        return;
    if (json_object_get(seen, key) == NULL) {
        json_object_set_new(seen, key, json_true());
        json_t *values = json_object_get(fields, type);
        if (values == NULL) {
            values = json_array();
            json_object_set_new(fields, type, values);
        }
        json_array_append_new(values, json_string(value));
    }
    free(key);
}

static void flatten_attributes(json_t *fields, const json_t *mevent)
{
    json_t *list = json_array(), *seen = json_object();
    size_t i, j;
    json_t *a, *o;
    json_array_foreach(json_object_get(mevent, "Attribute"), i, a)
        add_attribute(fields, list, seen, a, NULL);
    json_array_foreach(json_object_get(mevent, "Object"), i, o) {
        if (truthy(json_object_get(o, "deleted")))
            continue;
        const char *name = json_string_value(json_object_get(o, "name"));
        json_array_foreach(json_object_get(o, "Attribute"), j, a)
            add_attribute(fields, list, seen, a, name != NULL ? name : "object");
    }
    json_object_set_new(fields, "attributes", list);
    json_decref(seen);
}

static json_t *tag_names(const json_t *mevent)
{
    json_t *tags = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(mevent, "Tag"), i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name != NULL)
            json_array_append_new(tags, json_string(name));
    }
    return tags;
}

json_t *misp_event_to_nbsoar(const json_t *mevent, const char *source, int include_raw,
                             char *err, size_t errlen)
{
    const char *uuid = json_string_value(json_object_get(mevent, "uuid"));
    long long ts = misp_event_timestamp(mevent);
    if (uuid == NULL || ts < 0) {
        snprintf(err, errlen, "MISP event without %s", uuid == NULL ? "uuid" : "timestamp");
        return NULL;
    }
    char id[160], when[32];
    snprintf(id, sizeof(id), "misp:%s:%lld", uuid, ts);
    time_t t = (time_t)ts;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *info = json_string_value(json_object_get(mevent, "info"));

    json_t *fields = json_object();
    copy_string(fields, "event_id", mevent, "id");
    json_object_set_new(fields, "uuid", json_string(uuid));
    json_object_set_new(fields, "info", json_string(info != NULL ? info : ""));
    copy_string(fields, "threat_level_id", mevent, "threat_level_id");
    copy_string(fields, "analysis", mevent, "analysis");
    copy_string(fields, "date", mevent, "date");
    json_object_set_new(fields, "timestamp", json_integer(ts));
    json_object_set_new(fields, "published", json_boolean(truthy(json_object_get(mevent, "published"))));
    const char *org = json_string_value(json_object_get(json_object_get(mevent, "Orgc"), "name"));
    json_object_set_new(fields, "org", org != NULL ? json_string(org) : json_null());
    json_object_set_new(fields, "tags", tag_names(mevent));
    flatten_attributes(fields, mevent);

    json_t *ref = json_pack("{s:s, s:s, s:s}", "system", "misp", "kind", "event", "uuid", uuid);
    copy_string(ref, "id", mevent, "id");
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", id, "source", source,
                           "type", "event", "time", when, "title", info != NULL ? info : uuid,
                           "fields", fields, "ref", ref);
    if (ev != NULL && include_raw)
        json_object_set_new(ev, "raw", json_pack("{s:O}", "Event", mevent));
    if (ev == NULL)
        snprintf(err, errlen, "MISP event %s: text is not valid UTF-8", uuid);
    return ev;
}
