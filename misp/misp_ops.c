/* MISP operations and their fields.  Each operation is checked alone
 * before any request: unknown fields, missing required ones and wrong
 * types are refused with the field named.  Fields the engine adds
 * (idempotency_key, names starting with "_") are let through.
 *
 *   MISPAddTag          tag; uuid? (event or attribute, default the job's
 *                       event), local?, event?
 *   MISPAddAttribute    attribute_type, value; category?, to_ids?, comment?,
 *                       distribution? (0-5), event?
 *   MISPAddSighting     value or uuid (attribute); sighting_type? 0 sighting,
 *                       1 false positive, 2 expiration; source?
 * ("type" names the operation, so MISP's own "type" fields are prefixed.)
 *   MISPPublish         event?
 *   MISPAddEventReport  name, content; distribution? (0-5), event?
 * event: a MISP event id or uuid; default the job event's ref.id / ref.uuid. */
#include <stdio.h>
#include <string.h>

#include "misp.h"

enum ftype { F_NAME, F_TEXT, F_BOOL, F_DIST, F_SIGHT, F_ID, F_UUID };

struct field {
    const char *name;
    enum ftype type;
    int required;
};

struct spec {
    const char *name;
    struct field fields[7];
};

static const struct spec specs[MISP_OP_COUNT] = {
    [MISP_OP_ADD_TAG] = {"MISPAddTag", {{"tag", F_NAME, 1}, {"uuid", F_UUID, 0},
                                        {"local", F_BOOL, 0}, {"event", F_ID, 0}}},
    [MISP_OP_ADD_ATTRIBUTE] = {"MISPAddAttribute",
                               {{"attribute_type", F_NAME, 1}, {"value", F_NAME, 1}, {"category", F_NAME, 0},
                                {"to_ids", F_BOOL, 0}, {"comment", F_TEXT, 0},
                                {"distribution", F_DIST, 0}, {"event", F_ID, 0}}},
    [MISP_OP_ADD_SIGHTING] = {"MISPAddSighting", {{"value", F_NAME, 0}, {"uuid", F_UUID, 0},
                                                  {"sighting_type", F_SIGHT, 0}, {"source", F_TEXT, 0}}},
    [MISP_OP_PUBLISH] = {"MISPPublish", {{"event", F_ID, 0}}},
    [MISP_OP_ADD_EVENT_REPORT] = {"MISPAddEventReport",
                                  {{"name", F_NAME, 1}, {"content", F_TEXT, 1},
                                   {"distribution", F_DIST, 0}, {"event", F_ID, 0}}},
};

const char *const misp_operation_names[] = {"MISPAddTag", "MISPAddAttribute", "MISPAddSighting",
                                            "MISPPublish", "MISPAddEventReport", NULL};

int misp_is_uuid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdefABCDEF", s[i]) == NULL)
            return 0;
    }
    return 1;
}

static int is_id(const char *s)
{
    return (s[0] != '\0' && strspn(s, "0123456789") == strlen(s) && strlen(s) < 20) || misp_is_uuid(s);
}

/* The operation's value of a MISP-style enum: an integer or its digit. */
static int small_int(const json_t *v, int max)
{
    long long n = -1;
    if (json_is_integer(v))
        n = json_integer_value(v);
    else if (json_is_string(v) && strlen(json_string_value(v)) == 1)
        n = json_string_value(v)[0] - '0';
    return n >= 0 && n <= max ? (int)n : -1;
}

static const char *check_field(const struct field *f, const json_t *v)
{
    const char *s = json_string_value(v);
    switch (f->type) {
    case F_NAME:
        return s != NULL && s[0] != '\0' ? NULL : "must be a non-empty string";
    case F_TEXT:
        return s != NULL ? NULL : "must be a string";
    case F_BOOL:
        return json_is_boolean(v) ? NULL : "must be true or false";
    case F_DIST:
        return small_int(v, 5) >= 0 ? NULL : "must be a distribution 0-5";
    case F_SIGHT:
        return small_int(v, 2) >= 0 ? NULL : "must be 0 (sighting), 1 (false positive) or 2 (expiration)";
    case F_ID:
        return s != NULL && is_id(s) ? NULL : "must be a MISP event id or uuid (string)";
    case F_UUID:
        return s != NULL && misp_is_uuid(s) ? NULL : "must be a uuid";
    }
    return "unknown field type";
}

static const struct field *find_field(const struct spec *sp, const char *name)
{
    for (const struct field *f = sp->fields; f->name != NULL && f < sp->fields + 7; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int misp_op_validate(const json_t *op, char *err, size_t errlen)
{
    const char *type = json_string_value(json_object_get(op, "type"));
    if (!json_is_object(op) || type == NULL) {
        snprintf(err, errlen, "operation: field \"type\" is missing");
        return -1;
    }
    int idx = -1;
    for (int i = 0; i < MISP_OP_COUNT; i++)
        if (strcmp(specs[i].name, type) == 0)
            idx = i;
    if (idx < 0) {
        snprintf(err, errlen, "operation type \"%s\" is not a MISP operation", type);
        return -1;
    }
    const struct spec *sp = &specs[idx];
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)op, key, v) {
        if (strcmp(key, "type") == 0 || strcmp(key, "idempotency_key") == 0 || key[0] == '_')
            continue;
        const struct field *f = find_field(sp, key);
        if (f == NULL) {
            snprintf(err, errlen, "%s: unknown field \"%s\"", type, key);
            return -1;
        }
        const char *why = check_field(f, v);
        if (why != NULL) {
            snprintf(err, errlen, "%s: field \"%s\" %s", type, key, why);
            return -1;
        }
    }
    for (const struct field *f = sp->fields; f < sp->fields + 7 && f->name != NULL; f++) {
        if (f->required && json_object_get(op, f->name) == NULL) {
            snprintf(err, errlen, "%s: field \"%s\" is required", type, f->name);
            return -1;
        }
    }
    if (idx == MISP_OP_ADD_SIGHTING && json_object_get(op, "value") == NULL &&
        json_object_get(op, "uuid") == NULL) {
        snprintf(err, errlen, "MISPAddSighting: field \"value\" or \"uuid\" is required");
        return -1;
    }
    return idx;
}

const char *misp_op_event(const json_t *op, const struct nbsoar_job *job)
{
    const char *ev = json_string_value(json_object_get(op, "event"));
    if (ev != NULL)
        return ev;
    const json_t *ref = job != NULL ? json_object_get(job->event, "ref") : NULL;
    const char *system = json_string_value(json_object_get(ref, "system"));
    if (system == NULL || strcmp(system, "misp") != 0)
        return NULL;
    const char *id = json_string_value(json_object_get(ref, "id"));
    return id != NULL ? id : json_string_value(json_object_get(ref, "uuid"));
}
