/* Operation types and their fields, as TheHive 4's ActionOperation model
 * reads them (cortex/connector/.../models/ActionOperation.scala): names are
 * exact, non-optional fields are required.  TheHive fails the whole batch on
 * one bad operation; here each one is checked alone and the message names
 * the field, before any request is sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thehive.h"

enum field_type {
    F_TEXT,      /* any string, "" allowed (message, description) */
    F_NAME,      /* non-empty string */
    F_BOOL,
    F_TLP,       /* integer 0..4 */
    F_TAGS,      /* array of non-empty strings */
    F_SCALAR,    /* string, number or boolean (a custom field value) */
};

struct field_rule {
    const char *name;
    enum field_type type;
    int required;
};

struct op_spec {
    const char *name;
    enum th_target_kind target;
    struct field_rule fields[9];
};

static const struct op_spec specs[TH_OP_COUNT] = {
    [TH_OP_ADD_TAG_TO_CASE] = {"AddTagToCase", TH_TARGET_CASE, {{"tag", F_NAME, 1}}},
    [TH_OP_ADD_TAG_TO_ARTIFACT] = {"AddTagToArtifact", TH_TARGET_OBSERVABLE, {{"tag", F_NAME, 1}}},
    [TH_OP_ADD_TAG_TO_ALERT] = {"AddTagToAlert", TH_TARGET_ALERT, {{"tag", F_NAME, 1}}},
    [TH_OP_MARK_ALERT_AS_READ] = {"MarkAlertAsRead", TH_TARGET_ALERT, {{0}}},
    /* tpe is required by TheHive 4's reader but then ignored; here it is
     * optional, and when given it must agree with the value. */
    [TH_OP_ADD_CUSTOM_FIELDS] = {"AddCustomFields", TH_TARGET_CASE,
                                 {{"name", F_NAME, 1}, {"value", F_SCALAR, 1}, {"tpe", F_NAME, 0}}},
    [TH_OP_CREATE_TASK] = {"CreateTask", TH_TARGET_CASE,
                           {{"title", F_NAME, 1}, {"description", F_TEXT, 1}}},
    [TH_OP_CLOSE_TASK] = {"CloseTask", TH_TARGET_TASK, {{0}}},
    [TH_OP_ADD_LOG_TO_TASK] = {"AddLogToTask", TH_TARGET_TASK,
                               {{"content", F_NAME, 1}, {"owner", F_TEXT, 0}}},
    [TH_OP_ASSIGN_CASE] = {"AssignCase", TH_TARGET_CASE, {{"owner", F_NAME, 1}}},
    [TH_OP_ADD_ARTIFACT_TO_CASE] = {"AddArtifactToCase", TH_TARGET_CASE,
                                    {{"data", F_NAME, 1},
                                     {"dataType", F_NAME, 1},
                                     {"message", F_TEXT, 1},
                                     {"tlp", F_TLP, 0},
                                     {"ioc", F_BOOL, 0},
                                     {"sighted", F_BOOL, 0},
                                     {"ignoreSimilarity", F_BOOL, 0},
                                     {"tags", F_TAGS, 0}}},
};

const char *const th_operation_names[] = {
    "AddTagToCase", "AddTagToArtifact", "AddTagToAlert", "MarkAlertAsRead",
    "AddCustomFields", "CreateTask", "CloseTask", "AddLogToTask", "AssignCase",
    "AddArtifactToCase", NULL,
};

/* Explicit ids an operation may carry instead of relying on the event. */
static const char *const id_fields[] = {"caseId", "alertId", "observableId", "taskId", NULL};

const char *th_op_name(enum th_op op)
{
    return specs[op].name;
}

enum th_target_kind th_op_target(enum th_op op)
{
    return specs[op].target;
}

static const char *expected(enum field_type t)
{
    switch (t) {
    case F_TEXT: return "a string";
    case F_NAME: return "a non-empty string";
    case F_BOOL: return "true or false";
    case F_TLP: return "an integer from 0 (white) to 4 (red)";
    case F_TAGS: return "an array of non-empty strings";
    case F_SCALAR: return "a string, number or boolean";
    }
    return "?";
}

static int is_name(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0;
}

static int field_ok(const json_t *v, enum field_type t)
{
    switch (t) {
    case F_TEXT: return json_is_string(v);
    case F_NAME: return is_name(v);
    case F_BOOL: return json_is_boolean(v);
    case F_TLP:
        return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 4;
    case F_SCALAR: return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
    case F_TAGS: {
        if (!json_is_array(v))
            return 0;
        size_t i;
        json_t *tag;
        json_array_foreach(v, i, tag) {
            if (!is_name(tag))
                return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* The offending value, short enough for one message line. */
static void describe_value(const json_t *v, char *out, size_t outlen)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (s == NULL) {
        snprintf(out, outlen, "?");
        return;
    }
    if (strlen(s) > 60)
        snprintf(out, outlen, "%.57s...", s);
    else
        snprintf(out, outlen, "%s", s);
    free(s);
}

/* A custom field's declared type (tpe) against its value. */
static int tpe_matches(const char *tpe, const json_t *value)
{
    if (strcmp(tpe, "string") == 0 || strcmp(tpe, "url") == 0)
        return json_is_string(value);
    if (strcmp(tpe, "integer") == 0 || strcmp(tpe, "date") == 0)
        return json_is_integer(value);
    if (strcmp(tpe, "float") == 0 || strcmp(tpe, "number") == 0)
        return json_is_number(value);
    if (strcmp(tpe, "boolean") == 0)
        return json_is_boolean(value);
    return 1; /* a type this sink does not know: TheHive's definition decides */
}

int th_validate(const json_t *operation, enum th_op *op, char *err, size_t errlen)
{
    if (!json_is_object(operation)) {
        snprintf(err, errlen, "operation is not a JSON object");
        return NBSOAR_ERROR;
    }
    const json_t *type = json_object_get(operation, "type");
    if (!json_is_string(type)) {
        snprintf(err, errlen, "operation has no \"type\" string");
        return NBSOAR_ERROR;
    }
    int found = -1;
    for (int i = 0; i < TH_OP_COUNT; i++) {
        if (strcmp(json_string_value(type), specs[i].name) == 0)
            found = i;
    }
    if (found < 0) {
        char shown[80];
        describe_value(type, shown, sizeof(shown));
        snprintf(err, errlen, "unknown operation type %s: the thehive sink applies AddTagToCase, "
                 "AddTagToArtifact, AddTagToAlert, MarkAlertAsRead, AddCustomFields, CreateTask, "
                 "CloseTask, AddLogToTask, AssignCase, AddArtifactToCase", shown);
        return NBSOAR_ERROR;
    }
    const struct op_spec *spec = &specs[found];
    for (const struct field_rule *f = spec->fields; f->name != NULL; f++) {
        const json_t *v = json_object_get(operation, f->name);
        if (v == NULL || json_is_null(v)) {
            if (!f->required)
                continue;
            snprintf(err, errlen, "%s: field \"%s\" is required (%s)", spec->name, f->name,
                     expected(f->type));
            return NBSOAR_ERROR;
        }
        if (!field_ok(v, f->type)) {
            char shown[80];
            describe_value(v, shown, sizeof(shown));
            snprintf(err, errlen, "%s: field \"%s\" must be %s, not %s", spec->name, f->name,
                     expected(f->type), shown);
            return NBSOAR_ERROR;
        }
    }
    for (const char *const *name = id_fields; *name != NULL; name++) {
        const json_t *v = json_object_get(operation, *name);
        if (v != NULL && !is_name(v)) {
            snprintf(err, errlen, "%s: field \"%s\" must be %s", spec->name, *name,
                     expected(F_NAME));
            return NBSOAR_ERROR;
        }
    }
    if (found == TH_OP_ADD_CUSTOM_FIELDS) {
        const json_t *tpe = json_object_get(operation, "tpe");
        const json_t *value = json_object_get(operation, "value");
        if (json_is_string(tpe) && !tpe_matches(json_string_value(tpe), value)) {
            char shown[80];
            describe_value(value, shown, sizeof(shown));
            snprintf(err, errlen,
                     "AddCustomFields: field \"value\" %s does not match \"tpe\" \"%s\"", shown,
                     json_string_value(tpe));
            return NBSOAR_ERROR;
        }
    }
    *op = (enum th_op)found;
    return NBSOAR_OK;
}
