/* SplunkUpdateNotable: a notebook's verdict written back to the notable
 * through POST /services/notable_update (Enterprise Security), form fields
 * ruleUIDs, status, urgency, newOwner, comment, disposition.  Values are
 * checked here first so a typo fails with a message naming the field
 * instead of a bare "ValueError" from ES. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

const char *const sp_operation_names[] = {"SplunkUpdateNotable", NULL};

/* ES default review statuses (GET /services/alerts/reviewstatuses lists a
 * site's own; those are reached by number). */
static const char *const status_names[] = {"unassigned", "new", "in_progress", "pending",
                                           "resolved", "closed", NULL};
static const char *const urgencies[] = {"informational", "low", "medium", "high", "critical",
                                        NULL};
/* disposition:1 .. disposition:6 */
static const char *const disposition_names[] = {
    "", "true_positive", "benign_positive", "false_positive_incorrect_analytic_logic",
    "false_positive_inaccurate_data", "other", "undetermined", NULL};

/* "In Progress", "in-progress" -> "in_progress" into out. */
static void normalise(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    for (; *s != '\0' && n + 1 < outlen; s++) {
        unsigned char ch = (unsigned char)*s;
        out[n++] = (ch == ' ' || ch == '-') ? '_' : (char)tolower(ch);
    }
    out[n] = '\0';
}

static int index_of(const char *const *names, const char *s)
{
    for (int i = 0; names[i] != NULL; i++) {
        if (names[i][0] != '\0' && strcmp(names[i], s) == 0)
            return i;
    }
    return -1;
}

static int has_control(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20)
            return 1;
    }
    return 0;
}

/* A non-negative integer from a JSON integer or a string of digits; -1 if neither. */
static long as_number(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 ? (long)json_integer_value(v) : -1;
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0' || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
        return -1;
    return atol(s);
}

static int bad(char *err, size_t errlen, const char *field, const json_t *v, const char *want)
{
    char *shown = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(err, errlen, "SplunkUpdateNotable: field \"%s\" must be %s, not %.60s", field, want,
             shown != NULL ? shown : "?");
    free(shown);
    return NBSOAR_ERROR;
}

static int read_status(const json_t *v, struct sp_update *u, char *err, size_t errlen)
{
    static const char want[] = "a status number or unassigned, new, in_progress, pending, "
                               "resolved, closed";
    u->status = as_number(v);
    if (u->status >= 0)
        return NBSOAR_OK;
    char name[32];
    if (!json_is_string(v) || json_string_length(v) >= sizeof(name))
        return bad(err, errlen, "status", v, want);
    normalise(json_string_value(v), name, sizeof(name));
    u->status = index_of(status_names, name);
    return u->status >= 0 ? NBSOAR_OK : bad(err, errlen, "status", v, want);
}

static int read_disposition(const json_t *v, struct sp_update *u, char *err, size_t errlen)
{
    static const char want[] = "disposition:N, a number, or true_positive, benign_positive, "
                               "false_positive_incorrect_analytic_logic, "
                               "false_positive_inaccurate_data, other, undetermined";
    long n = as_number(v);
    const char *s = json_string_value(v);
    if (n < 0 && s != NULL && strncmp(s, "disposition:", 12) == 0) {
        json_t *tail = json_string(s + 12);
        n = as_number(tail);
        json_decref(tail);
    }
    if (n < 0 && s != NULL && strlen(s) < 64) {
        char name[64];
        normalise(s, name, sizeof(name));
        n = index_of(disposition_names, name);
    }
    if (n < 0)
        return bad(err, errlen, "disposition", v, want);
    snprintf(u->disposition, sizeof(u->disposition), "disposition:%ld", n);
    return NBSOAR_OK;
}

/* The notable an operation acts on. */
static int resolve_event_id(const json_t *operation, const json_t *event, struct sp_update *u,
                            char *err, size_t errlen)
{
    const json_t *v = json_object_get(operation, "event_id");
    const char *id = NULL;
    if (v != NULL && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return bad(err, errlen, "event_id", v, "a non-empty string");
        id = json_string_value(v);
    } else {
        const json_t *ref = json_object_get(event, "ref");
        const char *system = json_string_value(json_object_get(ref, "system"));
        if (system != NULL && strcmp(system, "splunk") == 0)
            id = json_string_value(json_object_get(ref, "id"));
        if (id == NULL || id[0] == '\0')
            id = json_string_value(json_object_get(json_object_get(event, "fields"), "event_id"));
    }
    if (id == NULL || id[0] == '\0') {
        snprintf(err, errlen, "SplunkUpdateNotable: no notable to update: the job's event is not a "
                 "Splunk notable (no ref.id or fields.event_id) and the operation has no event_id");
        return NBSOAR_ERROR;
    }
    if (strlen(id) >= sizeof(u->event_id) || has_control(id)) {
        snprintf(err, errlen, "SplunkUpdateNotable: event_id is not a notable id (too long or "
                 "holds control characters)");
        return NBSOAR_ERROR;
    }
    snprintf(u->event_id, sizeof(u->event_id), "%s", id);
    return NBSOAR_OK;
}

int sp_update_validate(const json_t *operation, const json_t *event, struct sp_update *u,
                       char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    u->status = -1;
    if (!json_is_object(operation)) {
        snprintf(err, errlen, "operation is not a JSON object");
        return NBSOAR_ERROR;
    }
    const char *type = json_string_value(json_object_get(operation, "type"));
    if (type == NULL || strcmp(type, "SplunkUpdateNotable") != 0) {
        snprintf(err, errlen, "unknown operation type \"%.60s\": the splunk sink applies "
                 "SplunkUpdateNotable", type != NULL ? type : "(none)");
        return NBSOAR_ERROR;
    }
    const json_t *v;
    int any = 0;
    if ((v = json_object_get(operation, "status")) != NULL && !json_is_null(v)) {
        if (read_status(v, u, err, errlen) != NBSOAR_OK)
            return NBSOAR_ERROR;
        any = 1;
    }
    if ((v = json_object_get(operation, "urgency")) != NULL && !json_is_null(v)) {
        char name[32] = "";
        if (json_is_string(v) && json_string_length(v) < sizeof(name))
            normalise(json_string_value(v), name, sizeof(name));
        if (index_of(urgencies, name) < 0)
            return bad(err, errlen, "urgency", v,
                       "one of informational, low, medium, high, critical");
        snprintf(u->urgency, sizeof(u->urgency), "%s", name);
        any = 1;
    }
    if ((v = json_object_get(operation, "owner")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) >= sizeof(u->owner) || has_control(json_string_value(v)))
            return bad(err, errlen, "owner", v, "a Splunk user name");
        snprintf(u->owner, sizeof(u->owner), "%s", json_string_value(v));
        any = 1;
    }
    if ((v = json_object_get(operation, "comment")) != NULL && !json_is_null(v)) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return bad(err, errlen, "comment", v, "a non-empty string");
        u->comment = json_string_value(v);
        any = 1;
    }
    if ((v = json_object_get(operation, "disposition")) != NULL && !json_is_null(v)) {
        if (read_disposition(v, u, err, errlen) != NBSOAR_OK)
            return NBSOAR_ERROR;
        any = 1;
    }
    if (!any) {
        snprintf(err, errlen, "SplunkUpdateNotable: nothing to change: give at least one of "
                 "status, urgency, owner, comment, disposition");
        return NBSOAR_ERROR;
    }
    return resolve_event_id(operation, event, u, err, errlen);
}

static char *update_form(const struct sp_update *u)
{
    char status[24];
    snprintf(status, sizeof(status), "%ld", u->status);
    char *form = NULL;
    int bad_alloc = sp_form_add(&form, "ruleUIDs", u->event_id) != 0 ||
                    (u->status >= 0 && sp_form_add(&form, "status", status) != 0) ||
                    (u->urgency[0] && sp_form_add(&form, "urgency", u->urgency) != 0) ||
                    (u->owner[0] && sp_form_add(&form, "newOwner", u->owner) != 0) ||
                    (u->comment && sp_form_add(&form, "comment", u->comment) != 0) ||
                    (u->disposition[0] && sp_form_add(&form, "disposition", u->disposition) != 0) ||
                    sp_form_add(&form, "output_mode", "json") != 0;
    if (bad_alloc) {
        free(form);
        return NULL;
    }
    return form;
}

int sp_update_apply(struct sp_state *st, const struct sp_update *u, json_t **result,
                    char *err, size_t errlen)
{
    *result = json_pack("{s:s, s:s}", "type", "SplunkUpdateNotable", "event_id", u->event_id);
    char *form = update_form(u);
    if (form == NULL || *result == NULL) {
        free(form);
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    struct sp_request rq = {.method = "POST", .path = "/services/notable_update", .form = form};
    json_t *answer = NULL;
    int rc = sp_call(st, &rq, &answer, NULL, err, errlen);
    free(form);
    if (rc != NBSOAR_OK)
        return rc;
    const char *message = json_string_value(json_object_get(answer, "message"));
    json_int_t failures = json_integer_value(json_object_get(answer, "failure_count"));
    if (json_is_false(json_object_get(answer, "success")) || failures > 0) {
        char said[600];
        sp_server_message(answer, NULL, said, sizeof(said));
        snprintf(err, errlen, "POST /services/notable_update: Splunk did not update %s: %s",
                 u->event_id, said);
        json_decref(answer);
        return NBSOAR_ERROR;
    }
    if (u->status >= 0)
        json_object_set_new(*result, "status", json_integer(u->status));
    if (u->urgency[0])
        json_object_set_new(*result, "urgency", json_string(u->urgency));
    if (u->owner[0])
        json_object_set_new(*result, "owner", json_string(u->owner));
    if (u->disposition[0])
        json_object_set_new(*result, "disposition", json_string(u->disposition));
    if (u->comment != NULL)
        json_object_set_new(*result, "comment", json_true());
    if (message != NULL)
        json_object_set_new(*result, "message", json_string(message));
    json_object_set(*result, "success_count", json_object_get(answer, "success_count"));
    json_decref(answer);
    return NBSOAR_OK;
}
