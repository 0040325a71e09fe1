/* The thehive source: new and updated alerts (and cases with poll_cases)
 * through POST /api/v1/query, as events {ref: {system: thehive, kind, id}}.
 *
 * An object's version is its _updatedAt, or _createdAt while it was never
 * updated; the event id carries it, so an update is a new event and the
 * same version is never emitted twice.  Two streams per kind, each read in
 * keyset order (filter field >= cursor, sort field ascending), so objects
 * that change while pages are read are never skipped:
 *   created  _createdAt, for objects never updated (no _updatedAt)
 *   updated  _updatedAt, for every updated object
 * Each stream's cursor {"t": millis, "seen": [ids at exactly t]} is kept
 * by the host (the journal) and advanced only past accepted events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thehive.h"

#define MAX_PAGES 10000 /* bounds one poll against a server that never ends a listing */

struct stream {
    const char *kind;    /* "alert" or "case" */
    const char *list;    /* "listAlert" / "listCase" */
    const char *get;     /* "getAlert" / "getCase" */
    const char *field;   /* "_createdAt" or "_updatedAt" */
    int updated;         /* 1: the updated stream */
    char key[32];        /* cursor key: "alert.created"... */
    json_int_t t;        /* cursor time */
    json_t *seen;        /* OWNED: array of ids whose version is t */
};

static void cursor_load(const struct th_state *st, struct stream *s)
{
    char *text = NULL;
    s->t = 0;
    s->seen = json_array();
    if (st->host->cursor_get(st->host, s->key, &text) != NBSOAR_OK || text == NULL)
        return;
    json_t *c = json_loads(text, 0, NULL);
    free(text);
    if (json_is_integer(json_object_get(c, "t")) && json_is_array(json_object_get(c, "seen"))) {
        s->t = json_integer_value(json_object_get(c, "t"));
        json_array_extend(s->seen, json_object_get(c, "seen"));
    } else {
        st->host->log(st->host, NBSOAR_LOG_WARN, "cursor %s is unreadable: starting from the beginning", s->key);
    }
    json_decref(c);
}

static int cursor_save(const struct th_state *st, const struct stream *s)
{
    json_t *c = json_pack("{s:I, s:O}", "t", s->t, "seen", s->seen);
    char *text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    int rc = text ? st->host->cursor_set(st->host, s->key, text) : NBSOAR_ERROR;
    free(text);
    if (rc != NBSOAR_OK)
        st->host->log(st->host, NBSOAR_LOG_ERROR, "cannot keep cursor %s", s->key);
    return rc;
}

static int seen_has(const json_t *seen, const char *id)
{
    size_t i;
    const json_t *v;
    json_array_foreach(seen, i, v) {
        if (strcmp(json_string_value(v), id) == 0)
            return 1;
    }
    return 0;
}

static json_t *page_query(const struct stream *s, size_t to)
{
    return json_pack("{s:[{s:s}, {s:s, s:{s:s, s:I}}, {s:s, s:[{s:s}]}, {s:s, s:i, s:I}]}", "query", "_name",
                     s->list, "_name", "filter", "_gte", "_field", s->field, "_value", s->t, "_name", "sort",
                     "_fields", s->field, "asc", "_name", "page", "from", 0, "to", (json_int_t)to);
}

static void iso_time(json_int_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* customFields as {name: value}: TheHive 5 lists them, TheHive 4 keys them. */
static json_t *custom_fields(const json_t *cf)
{
    json_t *out = json_object();
    size_t i;
    const json_t *v;
    if (json_is_array(cf)) {
        json_array_foreach(cf, i, v) {
            const char *name = json_string_value(json_object_get(v, "name"));
            if (name)
                json_object_set(out, name, json_object_get(v, "value") ? json_object_get(v, "value") : json_null());
        }
    } else if (json_is_object(cf)) {
        json_object_update(out, (json_t *)cf);
    }
    return out;
}

/* The object's observables: [{dataType, data, tags, ioc, tlp...}]. */
static int fetch_observables(const struct th_state *st, const struct stream *s, const char *id, json_t **out,
                             char *err, size_t errlen)
{
    json_t *q = json_pack("{s:[{s:s, s:s}, {s:s}]}", "query", "_name", s->get, "idOrName", id, "_name",
                          "observables");
    int rc = th_call(st, "POST", "/api/v1/query", q, 1, out, err, errlen);
    json_decref(q);
    if (rc == NBSOAR_OK && !json_is_array(*out)) {
        json_decref(*out);
        *out = json_array();
    }
    return rc;
}

static json_t *make_event(const struct th_state *st, const struct stream *s, const json_t *obj, const char *id,
                          json_int_t version, json_t *observables)
{
    static const char *const copied[] = {"title", "description", "severity", "tlp", "pap", "tags", "status",
                                         "type", "source", "sourceRef", "date", "caseId", "number", "assignee",
                                         "owner", "flag", "read", "startDate", NULL};
    json_t *fields = json_object();
    for (size_t i = 0; copied[i]; i++) {
        json_t *v = json_object_get(obj, copied[i]);
        if (v)
            json_object_set(fields, copied[i], v);
    }
    json_object_set_new(fields, "customFields", custom_fields(json_object_get(obj, "customFields")));
    json_object_set_new(fields, "observables", observables);
    json_object_set_new(fields, "updated", json_boolean(s->updated));
    json_object_set_new(fields, "version", json_integer(version));
    char evid[600], when[32];
    snprintf(evid, sizeof evid, "thehive:%s:%s:%s@%lld", st->host->instance, s->kind, id, (long long)version);
    iso_time(version, when, sizeof when);
    const char *title = json_string_value(json_object_get(obj, "title"));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:{s:s, s:s, s:s}}", "id", evid, "source",
                     st->host->instance, "type", s->kind, "time", when, "title", title ? title : "", "fields",
                     fields, "raw", obj, "ref", "system", "thehive", "kind", s->kind, "id", id);
}

/* One object of a page: skipped, or emitted.  Advances s->t / s->seen
 * only once the host accepted it. */
static int take(const struct th_state *st, struct stream *s, const json_t *obj, int *emitted)
{
    const char *id = json_string_value(json_object_get(obj, "_id"));
    json_t *tv = json_object_get(obj, s->field);
    if (!id || !json_is_integer(tv))
        return NBSOAR_OK;
    json_int_t t = json_integer_value(tv);
    if (t < s->t || (t == s->t && seen_has(s->seen, id)))
        return NBSOAR_OK;
    /* the created stream leaves updated objects to the updated stream */
    if (s->updated || !json_object_get(obj, "_updatedAt")) {
        char err[1024] = "";
        json_t *observables = NULL;
        int rc = st->fetch_observables ? fetch_observables(st, s, id, &observables, err, sizeof err) : NBSOAR_OK;
        if (rc != NBSOAR_OK) {
            st->host->log(st->host, NBSOAR_LOG_WARN, "%s %s: observables: %s", s->kind, id, err);
            return rc;
        }
        json_t *ev = make_event(st, s, obj, id, t, observables ? observables : json_array());
        rc = st->host->emit_event(st->host, ev, err, sizeof err);
        json_decref(ev);
        if (rc != NBSOAR_OK) {
            st->host->log(st->host, NBSOAR_LOG_WARN, "%s %s not accepted, kept for the next poll: %s", s->kind, id,
                          err);
            return rc;
        }
        (*emitted)++;
    }
    if (t > s->t) {
        s->t = t;
        json_array_clear(s->seen);
    }
    json_array_append_new(s->seen, json_string(id));
    return NBSOAR_OK;
}

static int poll_stream(const struct th_state *st, struct stream *s, int *emitted)
{
    cursor_load(st, s);
    int rc = NBSOAR_OK;
    for (int pages = 0; rc == NBSOAR_OK && pages < MAX_PAGES; pages++) {
        /* the ids already seen at t come first again: ask for that many more */
        size_t want = (size_t)st->page_size + json_array_size(s->seen);
        json_t *q = page_query(s, want), *items = NULL;
        char err[1024] = "";
        rc = th_call(st, "POST", "/api/v1/query", q, 1, &items, err, sizeof err);
        json_decref(q);
        if (rc != NBSOAR_OK) {
            st->host->log(st->host, NBSOAR_LOG_WARN, "listing %ss: %s", s->kind, err);
            break;
        }
        if (!json_is_array(items)) {
            st->host->log(st->host, NBSOAR_LOG_ERROR, "listing %ss: TheHive answered no list", s->kind);
            json_decref(items);
            rc = NBSOAR_ERROR;
            break;
        }
        json_int_t t0 = s->t;
        size_t seen0 = json_array_size(s->seen);
        size_t i;
        json_t *obj;
        json_array_foreach(items, i, obj) {
            if ((rc = take(st, s, obj, emitted)) != NBSOAR_OK)
                break;
        }
        int progressed = s->t != t0 || json_array_size(s->seen) != seen0;
        size_t got = json_array_size(items);
        json_decref(items);
        if (rc == NBSOAR_OK && (got < want || !progressed))
            break;
    }
    int crc = cursor_save(st, s);
    json_decref(s->seen);
    s->seen = NULL;
    return rc != NBSOAR_OK ? rc : crc;
}

int th_poll(void *state)
{
    const struct th_state *st = state;
    static const char *const kinds[][3] = {{"alert", "listAlert", "getAlert"}, {"case", "listCase", "getCase"}};
    int emitted = 0, rc = NBSOAR_OK;
    for (size_t k = 0; k < 2 && rc == NBSOAR_OK; k++) {
        if (k == 1 && !st->poll_cases)
            break;
        for (int updated = 0; updated < 2 && rc == NBSOAR_OK; updated++) {
            struct stream s = {.kind = kinds[k][0], .list = kinds[k][1], .get = kinds[k][2],
                               .field = updated ? "_updatedAt" : "_createdAt", .updated = updated};
            snprintf(s.key, sizeof s.key, "%s.%s", s.kind, updated ? "updated" : "created");
            rc = poll_stream(st, &s, &emitted);
        }
    }
    if (emitted > 0) {
        st->host->counter_add(st->host, "events_total", emitted);
        st->host->log(st->host, NBSOAR_LOG_INFO, "%d new or updated object%s", emitted, emitted == 1 ? "" : "s");
    }
    return rc;
}
