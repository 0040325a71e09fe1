/*
 * The sink: MISP operations applied with PyMISP's requests, each checked
 * against MISP first so that a retried operation is applied once:
 *   MISPAddTag          no-op when the event or attribute already has the tag
 *   MISPAddAttribute    no-op when the event has a live attribute of the same
 *                       type and value (or MISP answers "A similar attribute
 *                       already exists")
 *   MISPPublish         no-op when the event is published
 *   MISPAddEventReport  no-op when the event has a report of the same name
 *                       and content
 *   MISPAddSighting     not checkable (MISP keeps no key we could match), so
 *                       a sighting whose answer was lost may count twice
 * *result records {"operation", "applied", "event", ...what MISP returned};
 * RETRY on connect errors and 5xx, ERROR (with {"error"}) on 4xx and bad
 * replies, with MISP's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misp.h"

struct ctx {
    struct misp *m;
    const json_t *op;
    json_t *result;  /* filled as the operation goes */
    char err[1024];
};

static const char *op_str(const struct ctx *c, const char *key)
{
    return json_string_value(json_object_get(c->op, key));
}

static int has_tag(const json_t *tags, const char *tag)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (name != NULL && strcmp(name, tag) == 0)
            return 1;
    }
    return 0;
}

static int is_deleted(const json_t *o)
{
    json_t *d = json_object_get(o, "deleted");
    return json_is_true(d) || (json_is_string(d) && strcmp(json_string_value(d), "1") == 0);
}

static int noop(struct ctx *c, const char *reason)
{
    json_object_set_new(c->result, "applied", json_false());
    json_object_set_new(c->result, "reason", json_string(reason));
    return NBSOAR_OK;
}

static int done(struct ctx *c, const json_t *reply, const char *const *keep)
{
    json_object_set_new(c->result, "applied", json_true());
    for (const char *const *k = keep; *k != NULL; k++) {
        json_t *v = json_object_get(reply, *k);
        if (v != NULL)
            json_object_set(c->result, *k, v);
    }
    return NBSOAR_OK;
}

static int add_tag(struct ctx *c, const char *event)
{
    const char *tag = op_str(c, "tag"), *uuid = op_str(c, "uuid");
    json_t *target = NULL, *tags = NULL;
    int rc = NBSOAR_OK;
    if (uuid != NULL) {
        struct misp_search q = {.timestamp = -1, .published = -1, .uuid = uuid};
        json_t *attrs;
        rc = misp_search_attributes(&c->m->client, &q, &attrs, c->err, sizeof(c->err));
        if (rc != NBSOAR_OK)
            return rc;
        json_t *a = json_array_get(attrs, 0);
        if (a != NULL) {
            json_object_set_new(c->result, "target", json_string("attribute"));
            tags = json_incref(json_object_get(a, "Tag"));
        }
        json_decref(attrs);
    }
    if (tags == NULL) {
        const char *which = uuid != NULL ? uuid : event;
        if (which == NULL) {
            snprintf(c->err, sizeof(c->err), "MISPAddTag: no target: set \"uuid\" or \"event\", "
                     "or run from a MISP event");
            return NBSOAR_ERROR;
        }
        rc = misp_get_event(&c->m->client, which, &target, c->err, sizeof(c->err));
        if (rc != NBSOAR_OK)
            return rc;
        uuid = json_string_value(json_object_get(target, "uuid"));
        json_object_set_new(c->result, "target", json_string("event"));
        tags = json_incref(json_object_get(target, "Tag"));
    }
    json_object_set_new(c->result, "uuid", json_string(uuid != NULL ? uuid : ""));
    if (has_tag(tags, tag)) {
        rc = noop(c, "tag already attached");
    } else if (uuid == NULL) {
        snprintf(c->err, sizeof(c->err), "MISPAddTag: the event has no uuid");
        rc = NBSOAR_ERROR;
    } else {
        json_t *local = json_object_get(c->op, "local");
        json_t *reply;
        rc = misp_attach_tag(&c->m->client, uuid, tag, json_is_true(local), &reply, c->err,
                             sizeof(c->err));
        if (rc == NBSOAR_OK)
            rc = done(c, reply, (const char *const[]){"message", NULL});
        json_decref(reply);
    }
    json_decref(tags);
    json_decref(target);
    return rc;
}

/* The numeric id of an event given by id or uuid (OWNED: free()). */
static int event_id(struct ctx *c, const char *event, char **id)
{
    *id = NULL;
    if (!misp_is_uuid(event)) {
        *id = strdup(event);
        return *id != NULL ? NBSOAR_OK : NBSOAR_ERROR;
    }
    json_t *ev;
    int rc = misp_get_event(&c->m->client, event, &ev, c->err, sizeof(c->err));
    if (rc != NBSOAR_OK)
        return rc;
    const char *s = json_string_value(json_object_get(ev, "id"));
    *id = s != NULL ? strdup(s) : NULL;
    json_decref(ev);
    if (*id == NULL)
        snprintf(c->err, sizeof(c->err), "MISP event %s has no id", event);
    return *id != NULL ? NBSOAR_OK : NBSOAR_ERROR;
}

static json_t *attribute_body(const json_t *op)
{
    json_t *b = json_pack("{s:O, s:O}", "type", json_object_get(op, "attribute_type"), "value",
                          json_object_get(op, "value"));
    static const char *const copy[] = {"category", "to_ids", "comment", NULL};
    for (const char *const *k = copy; *k != NULL; k++)
        if (json_object_get(op, *k) != NULL)
            json_object_set(b, *k, json_object_get(op, *k));
    json_t *dist = json_object_get(op, "distribution");
    if (dist != NULL)
        json_object_set_new(b, "distribution", json_is_string(dist) ? json_copy(dist)
                            : json_sprintf("%lld", (long long)json_integer_value(dist)));
    return b;
}

static int add_attribute(struct ctx *c, const char *event)
{
    char *id;
    int rc = event_id(c, event, &id);
    if (rc != NBSOAR_OK)
        return rc;
    json_object_set_new(c->result, "event", json_string(id));
    const char *type = op_str(c, "attribute_type"), *value = op_str(c, "value");
    json_t *eventid = json_string(id);
    struct misp_search q = {.timestamp = -1, .published = -1, .eventid = eventid, .type = type,
                            .value = value};
    json_t *attrs;
    rc = misp_search_attributes(&c->m->client, &q, &attrs, c->err, sizeof(c->err));
    json_decref(eventid);
    if (rc == NBSOAR_OK) {
        size_t i;
        json_t *a;
        json_array_foreach(attrs, i, a) {
            const char *t = json_string_value(json_object_get(a, "type"));
            const char *v = json_string_value(json_object_get(a, "value"));
            if (t && v && !strcmp(t, type) && !strcmp(v, value) && !is_deleted(a)) {
                json_object_set(c->result, "uuid", json_object_get(a, "uuid"));
                rc = noop(c, "attribute already present");
                break;
            }
        }
        json_decref(attrs);
    }
    if (rc == NBSOAR_OK && json_object_get(c->result, "applied") == NULL) {
        json_t *body = attribute_body(c->op), *created;
        rc = misp_add_attribute(&c->m->client, id, body, &created, c->err, sizeof(c->err));
        json_decref(body);
        if (rc == NBSOAR_OK)
            rc = done(c, created, (const char *const[]){"id", "uuid", NULL});
        else if (strstr(c->err, "A similar attribute already exists") != NULL)
            rc = noop(c, "attribute already present");
        json_decref(created);
    }
    free(id);
    return rc;
}

static int add_sighting(struct ctx *c)
{
    json_t *body = json_object(), *reply;
    const char *value = op_str(c, "value"), *uuid = op_str(c, "uuid"), *source = op_str(c, "source");
    json_t *st = json_object_get(c->op, "sighting_type");
    if (uuid != NULL)
        json_object_set_new(body, "uuid", json_string(uuid));
    if (value != NULL)
        json_object_set_new(body, "value", json_string(value));
    json_object_set_new(body, "type", st == NULL ? json_string("0")
                        : json_is_string(st) ? json_copy(st)
                        : json_sprintf("%lld", (long long)json_integer_value(st)));
    if (source != NULL)
        json_object_set_new(body, "source", json_string(source));
    int rc = misp_add_sighting(&c->m->client, body, &reply, c->err, sizeof(c->err));
    json_decref(body);
    if (rc == NBSOAR_OK)
        rc = done(c, reply, (const char *const[]){"id", "uuid", "attribute_id", "event_id", NULL});
    json_decref(reply);
    return rc;
}

static int publish(struct ctx *c, const char *event)
{
    json_t *ev, *reply;
    int rc = misp_get_event(&c->m->client, event, &ev, c->err, sizeof(c->err));
    if (rc != NBSOAR_OK)
        return rc;
    const char *id = json_string_value(json_object_get(ev, "id"));
    json_object_set_new(c->result, "event", json_string(id != NULL ? id : event));
    if (json_is_true(json_object_get(ev, "published"))) {
        rc = noop(c, "event already published");
    } else {
        rc = misp_publish(&c->m->client, id != NULL ? id : event, &reply, c->err, sizeof(c->err));
        if (rc == NBSOAR_OK)
            rc = done(c, reply, (const char *const[]){"message", NULL});
        json_decref(reply);
    }
    json_decref(ev);
    return rc;
}

static int add_event_report(struct ctx *c, const char *event)
{
    json_t *ev, *created;
    int rc = misp_get_event(&c->m->client, event, &ev, c->err, sizeof(c->err));
    if (rc != NBSOAR_OK)
        return rc;
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *name = op_str(c, "name"), *content = op_str(c, "content");
    json_object_set_new(c->result, "event", json_string(id != NULL ? id : event));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(ev, "EventReport"), i, r) {
        const char *n = json_string_value(json_object_get(r, "name"));
        const char *t = json_string_value(json_object_get(r, "content"));
        if (n && t && !strcmp(n, name) && !strcmp(t, content) && !is_deleted(r)) {
            json_object_set(c->result, "uuid", json_object_get(r, "uuid"));
            json_decref(ev);
            return noop(c, "event report already present");
        }
    }
    json_t *body = json_pack("{s:s, s:s}", "name", name, "content", content);
    json_t *dist = json_object_get(c->op, "distribution");
    if (dist != NULL)
        json_object_set_new(body, "distribution", json_is_string(dist) ? json_copy(dist)
                            : json_sprintf("%lld", (long long)json_integer_value(dist)));
    rc = misp_add_event_report(&c->m->client, id != NULL ? id : event, body, &created, c->err,
                               sizeof(c->err));
    if (rc == NBSOAR_OK)
        rc = done(c, created, (const char *const[]){"id", "uuid", NULL});
    json_decref(body);
    json_decref(created);
    json_decref(ev);
    return rc;
}

int misp_apply(void *state, const json_t *operation, const struct nbsoar_job *job, json_t **result)
{
    struct ctx c = {.m = state, .op = operation, .result = json_object()};
    int idx = misp_op_validate(operation, c.err, sizeof(c.err));
    int rc = NBSOAR_ERROR;
    const char *event = misp_op_event(operation, job);
    if (idx >= 0)
        json_object_set_new(c.result, "operation", json_string(misp_operation_names[idx]));
    if (idx >= 0 && idx != MISP_OP_ADD_SIGHTING && event != NULL)
        json_object_set_new(c.result, "event", json_string(event));
    if (idx >= 0 && event == NULL && idx != MISP_OP_ADD_SIGHTING &&
        !(idx == MISP_OP_ADD_TAG && op_str(&c, "uuid") != NULL)) {
        snprintf(c.err, sizeof(c.err), "%s: no target event: set \"event\", or run from a MISP event",
                 misp_operation_names[idx]);
        idx = -1;
    }
    switch (idx) {
    case MISP_OP_ADD_TAG:
        rc = add_tag(&c, event);
        break;
    case MISP_OP_ADD_ATTRIBUTE:
        rc = add_attribute(&c, event);
        break;
    case MISP_OP_ADD_SIGHTING:
        rc = add_sighting(&c);
        break;
    case MISP_OP_PUBLISH:
        rc = publish(&c, event);
        break;
    case MISP_OP_ADD_EVENT_REPORT:
        rc = add_event_report(&c, event);
        break;
    default:
        break;
    }
    const struct nbsoar_host *h = c.m->host;
    if (rc != NBSOAR_OK) {
        json_object_set_new(c.result, "error", json_string(c.err));
        h->log(h, rc == NBSOAR_RETRY ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR, "%s", c.err);
    } else {
        h->counter_add(h, json_is_true(json_object_get(c.result, "applied")) ? "operations_applied"
                                                                              : "operations_unchanged", 1);
    }
    *result = c.result;
    return rc;
}
