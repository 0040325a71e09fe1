/* The ten operations, applied as TheHive's ActionOperationSrv does them,
 * through the REST API of TheHive 5 (/api/v1 as thehive4py calls it) or of
 * TheHive 4 (controllers/v1/Router.scala).
 *
 * Retrying is safe: an operation may be applied again after a crash, so
 * each one either is naturally idempotent (tags, custom field, assignee,
 * task status, alert status) or first looks for its own earlier result
 * (CreateTask: a task with the same title in the case; AddLogToTask: a log
 * with the same message in the task; AddArtifactToCase: an observable with
 * the same dataType and data, which TheHive would refuse anyway).  Those
 * look-ups use POST /api/v1/query with filters written as thehive4py writes
 * them ({"_name": "filter", "_field": f, "_value": v}, "_and": [...]). */
#include <stdio.h>
#include <string.h>

#include "thehive.h"

#define PATH_MAX_LEN 1024

static const char *const object_path[] = {
    [TH_TARGET_CASE] = "case",
    [TH_TARGET_ALERT] = "alert",
    [TH_TARGET_OBSERVABLE] = "observable",
    [TH_TARGET_TASK] = "task",
};
static const char *const id_key[] = {
    [TH_TARGET_CASE] = "case_id",
    [TH_TARGET_ALERT] = "alert_id",
    [TH_TARGET_OBSERVABLE] = "observable_id",
    [TH_TARGET_TASK] = "task_id",
};

/* "/api/v1/<object>/<escaped id><suffix>" */
static int build_path(char *out, size_t outlen, const char *object, const char *id,
                      const char *suffix, char *err, size_t errlen)
{
    char escaped[512];
    if (th_escape_id(id, escaped, sizeof(escaped)) != 0 ||
        (size_t)snprintf(out, outlen, "/api/v1/%s/%s%s", object, escaped, suffix) >= outlen) {
        snprintf(err, errlen, "%s id too long", object);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

static const char *str(const json_t *op, const char *key)
{
    return json_string_value(json_object_get(op, key));
}

static int has_tag(const json_t *obj, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(obj, "tags"), i, t) {
        if (json_is_string(t) && strcmp(json_string_value(t), tag) == 0)
            return 1;
    }
    return 0;
}

/* TheHive 5 adds a tag with addTags; TheHive 4 replaces the whole list, so
 * the object is read first and left alone when the tag is there. */
static int add_tag(const struct th_state *st, enum th_target_kind kind, const char *id,
                   const char *tag, json_t *result, char *err, size_t errlen)
{
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), object_path[kind], id, "", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    json_object_set_new(result, "tag", json_string(tag));
    if (st->api_version >= 5) {
        json_t *body = json_pack("{s:[s]}", "addTags", tag);
        int rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
        json_decref(body);
        return rc;
    }
    json_t *obj = NULL;
    int rc = th_call(st, "GET", path, NULL, 1, &obj, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    if (has_tag(obj, tag)) {
        json_object_set_new(result, "unchanged", json_true());
        json_decref(obj);
        return NBSOAR_OK;
    }
    json_t *tags = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(obj, "tags"), i, t)
        json_array_append(tags, t);
    json_array_append_new(tags, json_string(tag));
    json_decref(obj);
    json_t *body = json_pack("{s:o}", "tags", tags);
    rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
    json_decref(body);
    return rc;
}

/* TheHive 4 has a read flag; TheHive 5 replaced it with a status, so a new
 * or updated alert becomes Ignored (Imported when it already has a case),
 * which is how TheHive 3 applied this operation. */
static int mark_alert_read(const struct th_state *st, const char *id, json_t *result,
                           char *err, size_t errlen)
{
    char path[PATH_MAX_LEN];
    if (st->api_version < 5) {
        if (build_path(path, sizeof(path), "alert", id, "/read", err, errlen) != NBSOAR_OK)
            return NBSOAR_ERROR;
        return th_call(st, "POST", path, NULL, 1, NULL, err, errlen);
    }
    if (build_path(path, sizeof(path), "alert", id, "", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    json_t *alert = NULL;
    int rc = th_call(st, "GET", path, NULL, 1, &alert, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    const char *status = str(alert, "status");
    int fresh = status == NULL || strcmp(status, "New") == 0 || strcmp(status, "Updated") == 0;
    const char *to = json_is_string(json_object_get(alert, "caseId")) ? "Imported" : "Ignored";
    json_decref(alert);
    if (!fresh) {
        json_object_set_new(result, "unchanged", json_true());
        return NBSOAR_OK;
    }
    json_object_set_new(result, "status", json_string(to));
    json_t *body = json_pack("{s:s}", "status", to);
    rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
    json_decref(body);
    return rc;
}

/* TheHive 4 merges {"customFields": {name: value}}.  For TheHive 5 the
 * case's current values are sent back with this one set, so the update is
 * right whether TheHive merges the list or replaces it. */
static int add_custom_field(const struct th_state *st, const char *id, const json_t *op,
                            json_t *result, char *err, size_t errlen)
{
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), "case", id, "", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    const char *name = str(op, "name");
    json_t *value = json_object_get(op, "value");
    json_object_set_new(result, "name", json_string(name));
    json_t *body;
    if (st->api_version < 5) {
        body = json_pack("{s:{s:O}}", "customFields", name, value);
    } else {
        json_t *c = NULL;
        int rc = th_call(st, "GET", path, NULL, 1, &c, err, errlen);
        if (rc != NBSOAR_OK)
            return rc;
        json_t *list = json_array();
        size_t i;
        json_t *cf;
        json_array_foreach(json_object_get(c, "customFields"), i, cf) {
            const char *n = str(cf, "name");
            if (n != NULL && strcmp(n, name) != 0 && json_object_get(cf, "value") != NULL)
                json_array_append_new(list, json_pack("{s:s,s:O}", "name", n, "value",
                                                      json_object_get(cf, "value")));
        }
        json_decref(c);
        json_array_append_new(list, json_pack("{s:s,s:O}", "name", name, "value", value));
        body = json_pack("{s:o}", "customFields", list);
    }
    int rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
    json_decref(body);
    return rc;
}

/* The id of the first object `query` finds, or NULL (OWNED: free()).  rc
 * says whether the lookup itself worked. */
static int find_first(const struct th_state *st, json_t *query, char **found,
                      char *err, size_t errlen)
{
    json_t *list = NULL;
    json_t *body = json_pack("{s:o}", "query", query);
    int rc = th_call(st, "POST", "/api/v1/query", body, 1, &list, err, errlen);
    json_decref(body);
    *found = NULL;
    if (rc == NBSOAR_OK && json_array_size(list) > 0) {
        const char *id = str(json_array_get(list, 0), "_id");
        *found = id ? strdup(id) : NULL;
    }
    json_decref(list);
    return rc;
}

/* Records an earlier result found by find_first; returns 1 when there was one. */
static int note_existing(json_t *result, const char *key, char *existing)
{
    if (existing == NULL)
        return 0;
    json_object_set_new(result, key, json_string(existing));
    json_object_set_new(result, "existed", json_true());
    free(existing);
    return 1;
}

static int create_task(const struct th_state *st, const char *case_id, const json_t *op,
                       json_t *result, char *err, size_t errlen)
{
    const char *title = str(op, "title");
    char *existing = NULL;
    json_t *q = json_pack("[{s:s,s:s},{s:s},{s:s,s:s,s:s}]", "_name", "getCase",
                          "idOrName", case_id, "_name", "tasks", "_name", "filter",
                          "_field", "title", "_value", title);
    int rc = find_first(st, q, &existing, err, errlen);
    if (rc != NBSOAR_OK || note_existing(result, "task_id", existing))
        return rc;
    char path[PATH_MAX_LEN];
    json_t *body = json_pack("{s:s,s:s}", "title", title, "description", str(op, "description"));
    if (st->api_version >= 5) {
        if (build_path(path, sizeof(path), "case", case_id, "/task", err, errlen) != NBSOAR_OK) {
            json_decref(body);
            return NBSOAR_ERROR;
        }
    } else {
        snprintf(path, sizeof(path), "/api/v1/task");
        json_object_set_new(body, "caseId", json_string(case_id));
    }
    json_t *task = NULL;
    rc = th_call(st, "POST", path, body, 0, &task, err, errlen);
    json_decref(body);
    if (rc == NBSOAR_OK && str(task, "_id") != NULL)
        json_object_set_new(result, "task_id", json_string(str(task, "_id")));
    json_decref(task);
    return rc;
}

static int close_task(const struct th_state *st, const char *task_id, char *err, size_t errlen)
{
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), "task", task_id, "", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    json_t *body = json_pack("{s:s}", "status", "Completed");
    int rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
    json_decref(body);
    return rc;
}

/* TheHive 4 ignores the operation's owner: the log's author is the API key's user. */
static int add_log(const struct th_state *st, const char *task_id, const json_t *op,
                   json_t *result, char *err, size_t errlen)
{
    const char *content = str(op, "content");
    char *existing = NULL;
    json_t *q = json_pack("[{s:s,s:s},{s:s},{s:s,s:s,s:s}]", "_name", "getTask",
                          "idOrName", task_id, "_name", "logs", "_name", "filter",
                          "_field", "message", "_value", content);
    int rc = find_first(st, q, &existing, err, errlen);
    if (rc != NBSOAR_OK || note_existing(result, "log_id", existing))
        return rc;
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), "task", task_id, "/log", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    json_t *body = json_pack("{s:s}", "message", content);
    json_t *log = NULL;
    rc = th_call(st, "POST", path, body, 0, &log, err, errlen);
    json_decref(body);
    if (rc == NBSOAR_OK && str(log, "_id") != NULL)
        json_object_set_new(result, "log_id", json_string(str(log, "_id")));
    json_decref(log);
    return rc;
}

static int assign_case(const struct th_state *st, const char *case_id, const json_t *op,
                       json_t *result, char *err, size_t errlen)
{
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), "case", case_id, "", err, errlen) != NBSOAR_OK)
        return NBSOAR_ERROR;
    json_object_set_new(result, "assignee", json_string(str(op, "owner")));
    json_t *body = json_pack("{s:s}", "assignee", str(op, "owner"));
    int rc = th_call(st, "PATCH", path, body, 1, NULL, err, errlen);
    json_decref(body);
    return rc;
}

/* Defaults of TheHive 4's model: tlp 2, ioc and sighted false, no tags. */
static int add_artifact(const struct th_state *st, const char *case_id, const json_t *op,
                        json_t *result, char *err, size_t errlen)
{
    const char *data = str(op, "data"), *data_type = str(op, "dataType");
    char *existing = NULL;
    json_t *q = json_pack("[{s:s,s:s},{s:s},{s:s,s:[{s:s,s:s},{s:s,s:s}]}]",
                          "_name", "getCase", "idOrName", case_id, "_name", "observables",
                          "_name", "filter", "_and", "_field", "dataType", "_value",
                          data_type, "_field", "data", "_value", data);
    int rc = find_first(st, q, &existing, err, errlen);
    if (rc != NBSOAR_OK || note_existing(result, "observable_id", existing))
        return rc;
    json_t *tlp = json_object_get(op, "tlp");
    json_t *tags = json_object_get(op, "tags");
    json_t *body = json_pack("{s:s,s:s,s:s,s:I,s:b,s:b,s:o}", "dataType", data_type,
                             "data", data, "message", str(op, "message"),
                             "tlp", tlp ? json_integer_value(tlp) : (json_int_t)2,
                             "ioc", json_is_true(json_object_get(op, "ioc")),
                             "sighted", json_is_true(json_object_get(op, "sighted")),
                             "tags", tags ? json_deep_copy(tags) : json_array());
    json_t *ignore = json_object_get(op, "ignoreSimilarity");
    if (ignore != NULL)
        json_object_set(body, "ignoreSimilarity", ignore);
    char path[PATH_MAX_LEN];
    if (build_path(path, sizeof(path), "case", case_id, "/observable", err, errlen) != NBSOAR_OK) {
        json_decref(body);
        return NBSOAR_ERROR;
    }
    json_t *created = NULL;
    rc = th_call(st, "POST", path, body, 0, &created, err, errlen);
    json_decref(body);
    /* TheHive answers with the list of observables it created (one per data). */
    const json_t *first = json_is_array(created) ? json_array_get(created, 0) : created;
    if (rc == NBSOAR_OK && str(first, "_id") != NULL)
        json_object_set_new(result, "observable_id", json_string(str(first, "_id")));
    json_decref(created);
    return rc;
}

int th_apply_op(const struct th_state *st, enum th_op op, const json_t *operation,
                const char *target, json_t **result, char *err, size_t errlen)
{
    enum th_target_kind kind = th_op_target(op);
    json_t *res = json_pack("{s:s,s:s}", "type", th_op_name(op), id_key[kind], target);
    int rc = NBSOAR_ERROR;
    switch (op) {
    case TH_OP_ADD_TAG_TO_CASE:
    case TH_OP_ADD_TAG_TO_ARTIFACT:
    case TH_OP_ADD_TAG_TO_ALERT:
        rc = add_tag(st, kind, target, str(operation, "tag"), res, err, errlen);
        break;
    case TH_OP_MARK_ALERT_AS_READ:
        rc = mark_alert_read(st, target, res, err, errlen);
        break;
    case TH_OP_ADD_CUSTOM_FIELDS:
        rc = add_custom_field(st, target, operation, res, err, errlen);
        break;
    case TH_OP_CREATE_TASK:
        rc = create_task(st, target, operation, res, err, errlen);
        break;
    case TH_OP_CLOSE_TASK:
        rc = close_task(st, target, err, errlen);
        break;
    case TH_OP_ADD_LOG_TO_TASK:
        rc = add_log(st, target, operation, res, err, errlen);
        break;
    case TH_OP_ASSIGN_CASE:
        rc = assign_case(st, target, operation, res, err, errlen);
        break;
    case TH_OP_ADD_ARTIFACT_TO_CASE:
        rc = add_artifact(st, target, operation, res, err, errlen);
        break;
    case TH_OP_COUNT:
        break;
    }
    *result = res;
    return rc;
}
