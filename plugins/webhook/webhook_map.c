/* webhook mapping: a pushed payload to the event shape
 * {id, source, type, time, title, fields{}, raw{}, ref{system, kind, id}}.
 * The rules per sender are documented in webhook.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "webhook.h"

const json_t *wh_json_path(const json_t *v, const char *dotted)
{
    char part[256];
    while (v != NULL && *dotted != '\0') {
        size_t n = strcspn(dotted, ".");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, dotted, n);
        part[n] = '\0';
        v = json_object_get(v, part);
        dotted += n + (dotted[n] == '.');
    }
    return v;
}

/* A scalar as text ("12" for 12).  OWNED: free(); NULL for other types. */
static char *scalar_text(const json_t *v)
{
    char *out = NULL;
    if (json_is_string(v) && json_string_length(v) > 0)
        return strdup(json_string_value(v));
    if (json_is_integer(v) && asprintf(&out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) >= 0)
        return out;
    if (json_is_real(v) && asprintf(&out, "%.17g", json_real_value(v)) >= 0)
        return out;
    return NULL;
}

static const char *first_string(const json_t *obj, const char *const *keys)
{
    for (; *keys != NULL; keys++) {
        const char *s = json_string_value(wh_json_path(obj, *keys));
        if (s != NULL && s[0] != '\0')
            return s;
    }
    return NULL;
}

static void iso_from_epoch(double secs, char *buf, size_t len)
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Event time from an epoch (seconds, or ms when `ms`; number or digits) or
 * an ISO text kept as is; else now. */
static json_t *event_time(const json_t *v, int ms)
{
    char buf[64];
    double secs = -1;
    if (json_is_number(v))
        secs = json_number_value(v);
    else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end = NULL;
        double d = strtod(s, &end);
        if (end != s && *end == '\0')
            secs = d;
        else if (strchr(s, '-') != NULL && s[0] >= '0' && s[0] <= '9')
            return json_string(s);
    }
    if (secs >= 0) {
        iso_from_epoch(ms ? secs / 1000 : secs, buf, sizeof(buf));
        return json_string(buf);
    }
    iso_from_epoch((double)time(NULL), buf, sizeof(buf));
    return json_string(buf);
}

static void hash_of(const json_t *v, char *out, size_t outlen)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    wh_sha256_id(text != NULL ? text : "", text != NULL ? strlen(text) : 0, out, outlen);
    free(text);
}

static json_t *new_event(const char *id, const char *source, const char *type, json_t *time,
                         const char *title, json_t *fields, json_t *raw, json_t *ref)
{
    json_t *ev = json_object();
    json_object_set_new(ev, "id", json_string(id));
    json_object_set_new(ev, "source", json_string(source));
    json_object_set_new(ev, "type", json_string(type));
    json_object_set_new(ev, "time", time);
    json_object_set_new(ev, "title", json_string(title != NULL ? title : ""));
    json_object_set_new(ev, "fields", fields);
    json_object_set_new(ev, "raw", raw);
    json_object_set_new(ev, "ref", ref);
    return ev;
}

/* ---- MISP (Workflows webhook module: MISP core format) ---------------- */

static json_t *tag_names(const json_t *tags)
{
    json_t *names = json_array();
    size_t i;
    const json_t *t;
    json_array_foreach(tags, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name != NULL)
            json_array_append_new(names, json_string(name));
    }
    return names;
}

static void add_attribute(json_t *out, json_t *types, const json_t *a, const char *object_name)
{
    static const char *const keep[] = {"type", "category", "value", "to_ids", "uuid", "comment",
                                       "object_relation", NULL};
    json_t *flat = json_object();
    for (int k = 0; keep[k] != NULL; k++) {
        json_t *v = json_object_get(a, keep[k]);
        if (v != NULL)
            json_object_set(flat, keep[k], v);
    }
    if (object_name != NULL)
        json_object_set_new(flat, "object", json_string(object_name));
    const json_t *tags = json_object_get(a, "Tag");
    if (!json_is_array(tags))
        tags = json_object_get(a, "_allTags");
    if (json_array_size(tags) > 0)
        json_object_set_new(flat, "tags", tag_names(tags));
    json_array_append_new(out, flat);
    const char *type = json_string_value(json_object_get(a, "type"));
    size_t i;
    const json_t *t;
    json_array_foreach(types, i, t)
        if (type == NULL || strcmp(json_string_value(t), type) == 0)
            return;
    json_array_append_new(types, json_string(type));
}

/* Attributes and object attributes in one list; MISP's own
 * _AttributeFlattened when the payload has it. */
static void flatten_attributes(const json_t *e, json_t *fields)
{
    json_t *out = json_array(), *types = json_array();
    size_t i, j;
    const json_t *a, *o;
    const json_t *flat = json_object_get(e, "_AttributeFlattened");
    if (json_is_array(flat)) {
        json_array_foreach(flat, i, a)
            add_attribute(out, types, a, NULL);
    } else {
        json_array_foreach(json_object_get(e, "Attribute"), i, a)
            add_attribute(out, types, a, NULL);
        json_array_foreach(json_object_get(e, "Object"), i, o) {
            const char *name = json_string_value(json_object_get(o, "name"));
            json_array_foreach(json_object_get(o, "Attribute"), j, a)
                add_attribute(out, types, a, name);
        }
    }
    json_object_set_new(fields, "attributes", out);
    json_object_set_new(fields, "attribute_types", types);
}

static int map_misp(const json_t *payload, json_t **event, char *err, size_t errlen)
{
    const json_t *e = json_object_get(payload, "Event");
    if (!json_is_object(e))
        e = payload;
    const char *uuid = json_string_value(json_object_get(e, "uuid"));
    char *misp_id = scalar_text(json_object_get(e, "id"));
    if (uuid == NULL && misp_id == NULL) {
        snprintf(err, errlen, "not a MISP event: expected {\"Event\": {\"uuid\": ..., \"info\": ...}}");
        return NBSOAR_ERROR;
    }
    json_t *fields = json_object();
    static const char *const keep[] = {"info", "threat_level_id", "analysis", "published", "date",
                                       "distribution", "timestamp", "publish_timestamp", NULL};
    for (int k = 0; keep[k] != NULL; k++) {
        json_t *v = json_object_get(e, keep[k]);
        if (v != NULL)
            json_object_set(fields, keep[k], v);
    }
    if (uuid != NULL)
        json_object_set_new(fields, "uuid", json_string(uuid));
    if (misp_id != NULL)
        json_object_set_new(fields, "event_id", json_string(misp_id));
    static const char *const org_keys[] = {"Orgc.name", "Org.name", NULL};
    const char *org = first_string(e, org_keys);
    if (org != NULL)
        json_object_set_new(fields, "org", json_string(org));
    json_object_set_new(fields, "tags", tag_names(json_object_get(e, "Tag")));
    flatten_attributes(e, fields);

    json_t *ref = json_pack("{s:s, s:s}", "system", "misp", "kind", "event");
    json_object_set_new(ref, "id", json_string(misp_id != NULL ? misp_id : uuid));
    if (uuid != NULL)
        json_object_set_new(ref, "uuid", json_string(uuid));
    /* Each edit of the event is a new event: its timestamp changes. */
    char *stamp = scalar_text(json_object_get(e, "timestamp"));
    char id[512];
    snprintf(id, sizeof(id), "%s%s%s", uuid != NULL ? uuid : misp_id, stamp ? "@" : "", stamp ? stamp : "");
    const json_t *when = json_object_get(e, "timestamp");
    *event = new_event(id, "misp", "event", event_time(when ? when : json_object_get(e, "date"), 0),
                       json_string_value(json_object_get(e, "info")), fields,
                       json_deep_copy(payload), ref);
    free(stamp);
    free(misp_id);
    return NBSOAR_OK;
}

/* ---- TheHive notifications (webhooks) ---------------------------------- */

static const char *thehive_kind(const char *object_type, char *buf, size_t len)
{
    static const struct { const char *from, *to; } names[] = {
        {"case_task", "task"}, {"case_artifact", "observable"}, {"case_task_log", "log"},
    };
    size_t i = 0;
    for (; object_type[i] != '\0' && i + 1 < len; i++)
        buf[i] = (char)(object_type[i] >= 'A' && object_type[i] <= 'Z' ? object_type[i] + 32 : object_type[i]);
    buf[i] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(buf, names[i].from) == 0)
            return names[i].to;
    return buf;
}

static int map_thehive(const json_t *payload, json_t **event, char *err, size_t errlen)
{
    const char *object_type = json_string_value(json_object_get(payload, "objectType"));
    const json_t *object = json_object_get(payload, "object");
    const char *object_id = json_string_value(json_object_get(payload, "objectId"));
    if (object_id == NULL)
        object_id = json_string_value(json_object_get(object, "_id"));
    if (object_type == NULL || object_id == NULL) {
        snprintf(err, errlen, "not a TheHive notification: expected objectType and objectId");
        return NBSOAR_ERROR;
    }
    char kind_buf[64];
    const char *kind = thehive_kind(object_type, kind_buf, sizeof(kind_buf));
    const char *operation = json_string_value(json_object_get(payload, "operation"));
    json_t *fields = json_is_object(object) ? json_deep_copy(object) : json_object();
    json_object_set_new(fields, "operation", json_string(operation != NULL ? operation : ""));
    json_object_set_new(fields, "object_type", json_string(kind));
    json_t *org = json_object_get(payload, "organisation");
    if (json_is_string(org))
        json_object_set(fields, "organisation", org);

    json_t *ref = json_pack("{s:s, s:s, s:s}", "system", "thehive", "kind", kind, "id", object_id);
    const char *root = json_string_value(json_object_get(payload, "rootId"));
    if (root != NULL && strcmp(root, object_id) != 0)
        json_object_set_new(ref, "root_id", json_string(root));
    /* One notification per change: the request id (else the change time)
     * tells this change from the next one on the same object. */
    char *change = scalar_text(json_object_get(payload, "requestId"));
    if (change == NULL)
        change = scalar_text(json_object_get(object, "_updatedAt"));
    if (change == NULL)
        change = scalar_text(json_object_get(payload, "startDate"));
    char hash[80] = "";
    if (change == NULL)
        hash_of(payload, hash, sizeof(hash));
    char id[512];
    snprintf(id, sizeof(id), "%s:%s:%s", object_id, operation != NULL ? operation : "",
             change != NULL ? change : hash);
    free(change);
    static const char *const title_keys[] = {"title", "name", "data", NULL};
    const char *title = first_string(object, title_keys);
    char fallback[160];
    snprintf(fallback, sizeof(fallback), "%s %s %s", object_type, object_id, operation ? operation : "");
    const json_t *start = json_object_get(payload, "startDate");
    *event = new_event(id, "thehive", kind,
                       event_time(start ? start : json_object_get(object, "_createdAt"), 1),
                       title != NULL ? title : fallback, fields, json_deep_copy(payload), ref);
    return NBSOAR_OK;
}

/* ---- Splunk alert action webhook ---------------------------------------- */

static int map_splunk(const json_t *payload, json_t **event, char *err, size_t errlen)
{
    const json_t *result = json_object_get(payload, "result");
    const char *sid = json_string_value(json_object_get(payload, "sid"));
    if (!json_is_object(result) && sid == NULL) {
        snprintf(err, errlen, "not a Splunk alert webhook: expected result and sid");
        return NBSOAR_ERROR;
    }
    json_t *fields = json_is_object(result) ? json_deep_copy(result) : json_object();
    static const char *const top[] = {"search_name", "sid", "results_link", "app", "owner", NULL};
    for (int k = 0; top[k] != NULL; k++) {
        json_t *v = json_object_get(payload, top[k]);
        if (v != NULL && json_object_get(fields, top[k]) == NULL)
            json_object_set(fields, top[k], v);
    }
    char id[512];
    char *event_id = scalar_text(json_object_get(result, "event_id"));
    if (event_id != NULL) {
        snprintf(id, sizeof(id), "%s", event_id);
    } else {
        /* Per-result alerts send one request per row under one sid. */
        char hash[80];
        hash_of(result, hash, sizeof(hash));
        snprintf(id, sizeof(id), "%s:%.23s", sid != NULL ? sid : "", hash);
    }
    json_t *ref = json_pack("{s:s, s:s, s:s}", "system", "splunk", "kind", "notable", "id",
                            event_id != NULL ? event_id : sid != NULL ? sid : id);
    free(event_id);
    static const char *const title_keys[] = {"result.rule_title", "result.rule_name", "search_name",
                                             "result.search_name", NULL};
    *event = new_event(id, "splunk", "notable", event_time(json_object_get(result, "_time"), 0),
                       first_string(payload, title_keys), fields, json_deep_copy(payload), ref);
    return NBSOAR_OK;
}

/* ---- anything else ------------------------------------------------------ */

static int check_shape(const json_t *ev, char *err, size_t errlen)
{
    static const char *const strings[] = {"id", "source", "type", "time", "title", NULL};
    static const char *const objects[] = {"fields", "raw", "ref", NULL};
    for (int i = 0; strings[i] != NULL; i++) {
        const json_t *v = json_object_get(ev, strings[i]);
        if (v != NULL && !json_is_string(v)) {
            snprintf(err, errlen, "event field \"%s\" must be a string", strings[i]);
            return NBSOAR_ERROR;
        }
    }
    for (int i = 0; objects[i] != NULL; i++) {
        const json_t *v = json_object_get(ev, objects[i]);
        if (v != NULL && !json_is_object(v)) {
            snprintf(err, errlen, "event field \"%s\" must be an object", objects[i]);
            return NBSOAR_ERROR;
        }
    }
    return NBSOAR_OK;
}

static int map_generic(const struct webhook *wh, const struct wh_path *p, const json_t *payload,
                       json_t **event, char *err, size_t errlen)
{
    char hash[80];
    hash_of(payload, hash, sizeof(hash));
    if (json_is_object(json_object_get(payload, "fields")) || json_is_object(json_object_get(payload, "ref"))) {
        if (check_shape(payload, err, errlen) != NBSOAR_OK)
            return NBSOAR_ERROR;
        json_t *ev = json_deep_copy(payload);
        if (json_string_length(json_object_get(ev, "id")) == 0)
            json_object_set_new(ev, "id", json_string(hash));
        if (json_object_get(ev, "source") == NULL)
            json_object_set_new(ev, "source", json_string(wh->host->instance));
        if (json_object_get(ev, "type") == NULL)
            json_object_set_new(ev, "type", json_string(p->name));
        if (json_object_get(ev, "time") == NULL)
            json_object_set_new(ev, "time", event_time(NULL, 0));
        if (json_object_get(ev, "fields") == NULL)
            json_object_set_new(ev, "fields", json_object());
        *event = ev;
        return NBSOAR_OK;
    }
    static const char *const title_keys[] = {"title", "name", "summary", "message", NULL};
    const char *title = first_string(payload, title_keys);
    char fallback[1100];
    snprintf(fallback, sizeof(fallback), "webhook event on %s", p->url_path);
    json_t *ref = json_pack("{s:s, s:s, s:s}", "system", "webhook", "kind", p->name, "id", hash);
    *event = new_event(hash, wh->host->instance, p->name, event_time(NULL, 0),
                       title != NULL ? title : fallback, json_deep_copy(payload), json_object(), ref);
    return NBSOAR_OK;
}

/* id_field, title_field and fields.NAME apply after any mapping. */
static int apply_overrides(const struct wh_path *p, const json_t *payload, json_t *ev, char *err,
                           size_t errlen)
{
    if (p->id_field != NULL) {
        char *id = scalar_text(wh_json_path(payload, p->id_field));
        if (id == NULL) {
            snprintf(err, errlen, "id_field.%s: no string or number at '%s' in the payload", p->name,
                     p->id_field);
            return NBSOAR_ERROR;
        }
        json_object_set_new(ev, "id", json_string(id));
        json_t *ref = json_object_get(ev, "ref");
        const char *system = json_string_value(json_object_get(ref, "system"));
        if (system != NULL && strcmp(system, "webhook") == 0)
            json_object_set_new(ref, "id", json_string(id));
        free(id);
    }
    if (p->title_field != NULL) {
        char *title = scalar_text(wh_json_path(payload, p->title_field));
        if (title != NULL)
            json_object_set_new(ev, "title", json_string(title));
        free(title);
    }
    const char *out;
    const json_t *from;
    json_t *fields = json_object_get(ev, "fields");
    json_object_foreach(p->field_map, out, from) {
        const json_t *v = wh_json_path(payload, json_string_value(from));
        if (v != NULL)
            json_object_set_new(fields, out, json_deep_copy(v));
    }
    return NBSOAR_OK;
}

int wh_map_payload(const struct webhook *wh, const struct wh_path *p, const json_t *payload,
                   json_t **event, char *err, size_t errlen)
{
    int rc;
    *event = NULL;
    switch (p->map) {
    case WH_MAP_MISP: rc = map_misp(payload, event, err, errlen); break;
    case WH_MAP_THEHIVE: rc = map_thehive(payload, event, err, errlen); break;
    case WH_MAP_SPLUNK: rc = map_splunk(payload, event, err, errlen); break;
    case WH_MAP_GENERIC:
    default: rc = map_generic(wh, p, payload, event, err, errlen); break;
    }
    if (rc == NBSOAR_OK && apply_overrides(p, payload, *event, err, errlen) != NBSOAR_OK) {
        json_decref(*event);
        *event = NULL;
        rc = NBSOAR_ERROR;
    }
    return rc;
}
