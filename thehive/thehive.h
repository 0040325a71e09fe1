/* The thehive sink: internal interfaces shared by its files.
 *
 * thehive.c           plugin struct, config, init/apply/shutdown
 * thehive_validate.c  operation types and their fields, checked before any request
 * thehive_target.c    which case / alert / observable / task an operation acts on
 * thehive_client.c    one request to TheHive through host->http, errors classified
 * thehive_apply.c     the ten operations, for TheHive 5 and TheHive 4
 * thehive_source.c    the source: new and updated alerts (and cases) as events
 */
#ifndef NBSOAR_THEHIVE_H
#define NBSOAR_THEHIVE_H

#include <stddef.h>
#include <nbsoar/plugin.h>

/* The object an operation acts on. */
enum th_target_kind {
    TH_TARGET_CASE,
    TH_TARGET_ALERT,
    TH_TARGET_OBSERVABLE,
    TH_TARGET_TASK,
};

enum th_op {
    TH_OP_ADD_TAG_TO_CASE,
    TH_OP_ADD_TAG_TO_ARTIFACT,
    TH_OP_ADD_TAG_TO_ALERT,
    TH_OP_MARK_ALERT_AS_READ,
    TH_OP_ADD_CUSTOM_FIELDS,
    TH_OP_CREATE_TASK,
    TH_OP_CLOSE_TASK,
    TH_OP_ADD_LOG_TO_TASK,
    TH_OP_ASSIGN_CASE,
    TH_OP_ADD_ARTIFACT_TO_CASE,
    TH_OP_COUNT,
};

/* NULL-terminated list of the operation type names (plugin.operations). */
extern const char *const th_operation_names[];

const char *th_op_name(enum th_op op);
enum th_target_kind th_op_target(enum th_op op);

/* Checks `operation` against TheHive's model of its type (required fields,
 * types, ranges) and the optional explicit ids (caseId, alertId,
 * observableId, taskId).  On success *op is its type.  On failure err names
 * the operation type and the field. */
int th_validate(const json_t *operation, enum th_op *op, char *err, size_t errlen);

/* The id of the object `op` acts on: the explicit id in the operation, else
 * the job's event ref {system: thehive, kind, id, case_id, task_id} (or the
 * TheHive 4 JSON in event.raw for parent ids).  Writes a NUL-terminated id. */
int th_target_resolve(enum th_op op, const json_t *operation, const json_t *event,
                      char *id, size_t idlen, char *err, size_t errlen);

/* Percent-encodes everything but RFC 3986 unreserved characters, so an id
 * from an untrusted event cannot change the request path.  Returns -1 when
 * out is too small. */
int th_escape_id(const char *id, char *out, size_t outlen);

/* Plugin instance; read-only after init, so apply() may run concurrently. */
struct th_state {
    const struct nbsoar_host *host;
    int api_version;                 /* 5 or 4 */
    char *base_url;                  /* OWNED; no trailing '/' */
    char *auth_header;               /* OWNED; "Authorization: Bearer ..." (secret) */
    char *org_header;                /* OWNED; "X-Organisation: ..." or NULL */
    char *ca_file, *proxy;           /* OWNED or NULL */
    const char *headers[2];          /* org_header, NULL */
    struct nbsoar_http_endpoint ep;
    int page_size;                   /* source: objects per query page */
    int poll_cases, fetch_observables;
};

/* One request to base_url + path.  On 2xx, *out (if out is not NULL) gets
 * the parsed JSON body (OWNED; NULL for an empty body).  Returns NBSOAR_OK,
 * NBSOAR_RETRY for connection errors, 408, 429 and 5xx, NBSOAR_ERROR for
 * other answers with TheHive's message in err (never the API key). */
int th_call(const struct th_state *st, const char *method, const char *path,
            const json_t *body, int idempotent, json_t **out, char *err, size_t errlen);

/* Applies one validated operation to the object `target`.  *result (OWNED)
 * describes what was done: ids, and "existed" / "unchanged" when a retried
 * operation found its work already done. */
int th_apply_op(const struct th_state *st, enum th_op op, const json_t *operation,
                const char *target, json_t **result, char *err, size_t errlen);

/* The source's poll(): emits what is new since the cursors (see
 * thehive_source.c).  NBSOAR_RETRY when TheHive or the journal failed
 * for now; what was accepted before stays accepted. */
int th_poll(void *state);

#endif
