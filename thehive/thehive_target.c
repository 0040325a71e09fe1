/* Which TheHive object an operation acts on.
 *
 * An explicit id in the operation wins (caseId, alertId, observableId,
 * taskId).  Otherwise the job's origin: event.ref = {system: "thehive",
 * kind: case|alert|case_artifact|case_task|case_task_log, id, case_id?,
 * task_id?}.  Parent ids not in ref are read from event.raw when it holds
 * TheHive 4's JSON (an observable or task carries "case", a log carries
 * "case_task" with its "case"), as Cortex hands them to a responder.
 * Like TheHive (EntityHelper.parentCase / parentTask), an alert has no case
 * and only a task or its log has a task. */
#include <stdio.h>
#include <string.h>

#include "thehive.h"

static const char *const explicit_field[] = {
    [TH_TARGET_CASE] = "caseId",
    [TH_TARGET_ALERT] = "alertId",
    [TH_TARGET_OBSERVABLE] = "observableId",
    [TH_TARGET_TASK] = "taskId",
};

/* An id as a string: TheHive ids are strings ("~123"); a case number may
 * come as an integer. */
static int id_text(const json_t *v, char *out, size_t outlen)
{
    int n;
    if (json_is_string(v) && json_string_length(v) > 0)
        n = snprintf(out, outlen, "%s", json_string_value(v));
    else if (json_is_integer(v))
        n = snprintf(out, outlen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        return -1;
    if (n < 0 || (size_t)n >= outlen)
        return -1;
    for (const char *c = out; *c; c++) {
        if ((unsigned char)*c < 0x20)
            return -1;
    }
    return 0;
}

/* TheHive 4 JSON ids: "id" (v0) or "_id" (v1). */
static const json_t *object_id(const json_t *obj)
{
    const json_t *v = json_object_get(obj, "id");
    return v != NULL ? v : json_object_get(obj, "_id");
}

/* The case of a child object, from ref.case_id or the raw TheHive JSON. */
static const json_t *parent_case(const json_t *ref, const json_t *raw, const char *kind)
{
    const json_t *v = json_object_get(ref, "case_id");
    if (v != NULL)
        return v;
    if (strcmp(kind, "case_task_log") == 0)
        return object_id(json_object_get(json_object_get(raw, "case_task"), "case"));
    return object_id(json_object_get(raw, "case"));
}

static const json_t *parent_task(const json_t *ref, const json_t *raw)
{
    const json_t *v = json_object_get(ref, "task_id");
    return v != NULL ? v : object_id(json_object_get(raw, "case_task"));
}

/* The id from the event, or NULL with err set the way TheHive words it. */
static const json_t *from_event(enum th_op op, const json_t *event, char *err, size_t errlen)
{
    const char *name = th_op_name(op);
    const char *field = explicit_field[th_op_target(op)];
    const json_t *ref = json_object_get(event, "ref");
    const char *system = json_string_value(json_object_get(ref, "system"));
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    if (system == NULL || strcmp(system, "thehive") != 0 || kind == NULL) {
        snprintf(err, errlen, "%s: no target: the job's event is not a TheHive object "
                 "(event.ref.system is %s%s%s) and the operation has no \"%s\"", name,
                 system ? "\"" : "", system ? system : "absent", system ? "\"" : "", field);
        return NULL;
    }
    const json_t *raw = json_object_get(event, "raw");
    const json_t *id = json_object_get(ref, "id");
    const json_t *found = NULL;
    const char *missing = NULL;
    switch (th_op_target(op)) {
    case TH_TARGET_CASE:
        if (strcmp(kind, "case") == 0)
            found = id;
        else if (strcmp(kind, "case_artifact") == 0 || strcmp(kind, "case_task") == 0 ||
                 strcmp(kind, "case_task_log") == 0)
            found = parent_case(ref, raw, kind);
        missing = "case";
        break;
    case TH_TARGET_TASK:
        if (strcmp(kind, "case_task") == 0)
            found = id;
        else if (strcmp(kind, "case_task_log") == 0)
            found = parent_task(ref, raw);
        missing = "task";
        break;
    case TH_TARGET_OBSERVABLE:
        if (strcmp(kind, "case_artifact") == 0)
            found = id;
        missing = "observable";
        break;
    case TH_TARGET_ALERT:
        if (strcmp(kind, "alert") == 0)
            found = id;
        missing = "alert";
        break;
    }
    if (found == NULL)
        snprintf(err, errlen, "%s: unable to apply action %s without %s: the job's event is a "
                 "TheHive %s%s and the operation has no \"%s\"", name, name, missing, kind,
                 json_object_get(ref, "id") ? "" : " without ref.id", field);
    return found;
}

int th_target_resolve(enum th_op op, const json_t *operation, const json_t *event,
                      char *id, size_t idlen, char *err, size_t errlen)
{
    const char *field = explicit_field[th_op_target(op)];
    const json_t *v = json_object_get(operation, field);
    const char *where = "operation field";
    if (v == NULL) {
        v = from_event(op, event, err, errlen);
        if (v == NULL)
            return NBSOAR_ERROR;
        where = "event ref";
    }
    if (id_text(v, id, idlen) != 0) {
        snprintf(err, errlen, "%s: the %s id from the %s is not a usable id", th_op_name(op),
                 field, where);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

int th_escape_id(const char *id, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        int plain = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_' || *c == '~';
        size_t need = plain ? 1 : 3;
        if (n + need >= outlen)
            return -1;
        if (plain) {
            out[n++] = (char)*c;
        } else {
            out[n++] = '%';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        }
    }
    if (outlen == 0)
        return -1;
    out[n] = '\0';
    return 0;
}
