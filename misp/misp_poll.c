/*
 * The source: new and updated MISP events from events/restSearch.
 *
 * Cursor (host key "events"): {"ts": T, "seen": ["<uuid>:<timestamp>", ...]}.
 * Each poll asks for events with timestamp >= T - overlap (MISP's filter is
 * inclusive; the overlap re-reads edits committed late), page by page
 * (limit/page) until a short page.  Paging by offset can skip an event when
 * the result set changes between pages (an event edited or removed moves
 * the others), so a listing of more than one page is reconciled against one metadata-only
 * restSearch of the same window: any event it shows that the pages missed,
 * or shows newer, is fetched by id.  A version (uuid, timestamp) is emitted
 * unless `seen` holds it, oldest first; after a complete poll T becomes the
 * newest timestamp seen and `seen` keeps the versions inside the overlap
 * window.  When emit_event fails the poll stops, T stays and the versions
 * already emitted join `seen`: none is emitted twice, none is skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misp.h"

#define CURSOR_KEY "events"

struct cursor {
    long long ts;
    json_t *seen; /* object used as a set: "uuid:ts" -> true */
};

static long long version_ts(const char *version)
{
    const char *colon = strrchr(version, ':');
    return colon != NULL ? strtoll(colon + 1, NULL, 10) : -1;
}

static int cursor_load(struct misp *m, struct cursor *c)
{
    const struct nbsoar_host *h = m->host;
    char *value = NULL;
    c->seen = json_object();
    c->ts = (long long)time(NULL) - m->lookback_s;
    if (c->ts < 0)
        c->ts = 0;
    if (h->cursor_get(h, CURSOR_KEY, &value) != NBSOAR_OK) {
        h->log(h, NBSOAR_LOG_ERROR, "cannot read the cursor");
        return NBSOAR_ERROR;
    }
    if (value == NULL || value[0] == '\0') {
        free(value);
        return NBSOAR_OK;
    }
    json_t *j = json_loads(value, 0, NULL);
    json_t *ts = json_object_get(j, "ts");
    if (!json_is_integer(ts)) {
        h->log(h, NBSOAR_LOG_WARN, "unreadable cursor \"%.100s\": starting from the lookback", value);
    } else {
        c->ts = json_integer_value(ts);
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(j, "seen"), i, v)
            if (json_is_string(v))
                json_object_set_new(c->seen, json_string_value(v), json_true());
    }
    json_decref(j);
    free(value);
    return NBSOAR_OK;
}

static int cursor_save(struct misp *m, const struct cursor *c, long long keep_from)
{
    json_t *seen = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(c->seen, k, v)
        if (version_ts(k) >= keep_from)
            json_array_append_new(seen, json_string(k));
    json_t *j = json_pack("{s:I, s:o}", "ts", (json_int_t)c->ts, "seen", seen);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = text != NULL ? m->host->cursor_set(m->host, CURSOR_KEY, text) : NBSOAR_ERROR;
    free(text);
    if (rc != NBSOAR_OK)
        m->host->log(m->host, NBSOAR_LOG_ERROR, "cannot save the cursor");
    return rc;
}

int misp_event_wanted(const struct misp *m, const json_t *mevent)
{
    size_t i;
    json_t *want;
    if (m->threat_levels != NULL) {
        const json_t *tl = json_object_get(mevent, "threat_level_id");
        char level[24] = "";
        if (json_is_string(tl))
            snprintf(level, sizeof(level), "%s", json_string_value(tl));
        else if (json_is_integer(tl))
            snprintf(level, sizeof(level), "%lld", (long long)json_integer_value(tl));
        int ok = 0;
        json_array_foreach(m->threat_levels, i, want)
            ok |= strcmp(json_string_value(want), level) == 0;
        if (!ok)
            return 0;
    }
    if (m->orgs != NULL) {
        const char *org = json_string_value(json_object_get(json_object_get(mevent, "Orgc"), "name"));
        int ok = 0;
        json_array_foreach(m->orgs, i, want)
            ok |= org != NULL && strcmp(json_string_value(want), org) == 0;
        if (!ok)
            return 0;
    }
    return 1;
}

static void search_init(const struct misp *m, struct misp_search *q, long long since)
{
    memset(q, 0, sizeof(*q));
    q->timestamp = since;
    q->published = m->published;
    q->tags = m->tags;
    q->org = m->orgs;
}

/* Keeps the newest version of each event: collected is uuid -> Event. */
static void collect(json_t *collected, const json_t *list)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        json_t *ev = json_object_get(item, "Event");
        const char *uuid = json_string_value(json_object_get(ev, "uuid"));
        if (uuid == NULL)
            continue;
        json_t *have = json_object_get(collected, uuid);
        if (have == NULL || misp_event_timestamp(have) < misp_event_timestamp(ev))
            json_object_set(collected, uuid, ev);
    }
}

/* *pages gets how many pages were read. */
static int list_pages(struct misp *m, long long since, json_t *collected, int *pages, char *err,
                      size_t errlen)
{
    struct misp_search q;
    search_init(m, &q, since);
    q.limit = m->page_limit;
    char prev_first[64] = "";
    for (q.page = 1;; q.page++) {
        json_t *list;
        int rc = misp_search_events(&m->client, &q, &list, err, errlen);
        if (rc != NBSOAR_OK)
            return rc;
        size_t n = json_array_size(list);
        const char *first = json_string_value(
            json_object_get(json_object_get(json_array_get(list, 0), "Event"), "uuid"));
        /* A server that ignores "page" would loop forever. */
        if (n > 0 && first != NULL && q.page > 1 && strcmp(first, prev_first) == 0) {
            snprintf(err, errlen, "MISP events/restSearch returned page %d identical to page %d "
                     "(is paging ignored?)", q.page, q.page - 1);
            json_decref(list);
            return NBSOAR_ERROR;
        }
        snprintf(prev_first, sizeof(prev_first), "%s", first != NULL ? first : "");
        collect(collected, list);
        json_decref(list);
        *pages = q.page;
        if (n < (size_t)m->page_limit)
            return NBSOAR_OK;
    }
}

/* The metadata listing of the same window; events the pages missed (or saw
 * older) are fetched by id. */
static int reconcile(struct misp *m, long long since, json_t *collected, char *err, size_t errlen)
{
    struct misp_search q;
    search_init(m, &q, since);
    q.metadata = 1;
    json_t *meta;
    int rc = misp_search_events(&m->client, &q, &meta, err, errlen);
    if (rc != NBSOAR_OK)
        return rc;
    json_t *missing = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(meta, i, item) {
        json_t *ev = json_object_get(item, "Event");
        const char *uuid = json_string_value(json_object_get(ev, "uuid"));
        json_t *id = json_object_get(ev, "id");
        json_t *have = uuid != NULL ? json_object_get(collected, uuid) : NULL;
        if (uuid != NULL && (json_is_string(id) || json_is_integer(id)) &&
            (have == NULL || misp_event_timestamp(have) < misp_event_timestamp(ev)))
            json_array_append(missing, id);
    }
    json_decref(meta);
    if (json_array_size(missing) > 0) {
        m->host->log(m->host, NBSOAR_LOG_INFO,
                     "%zu event(s) changed while paging; fetching them by id", json_array_size(missing));
        search_init(m, &q, -1);
        q.eventid = missing;
        json_t *list;
        rc = misp_search_events(&m->client, &q, &list, err, errlen);
        if (rc == NBSOAR_OK)
            collect(collected, list);
        json_decref(list);
    }
    json_decref(missing);
    return rc;
}

static int by_version(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    long long tx = misp_event_timestamp(x), ty = misp_event_timestamp(y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp(json_string_value(json_object_get(x, "uuid")),
                  json_string_value(json_object_get(y, "uuid")));
}

/* Emits the unseen wanted versions, oldest first.  Returns NBSOAR_OK when
 * every one was accepted; *newest gets the newest timestamp listed. */
static int emit_new(struct misp *m, struct cursor *c, json_t *collected, long long *newest)
{
    const struct nbsoar_host *h = m->host;
    size_t n = json_object_size(collected), k = 0;
    json_t **order = calloc(n ? n : 1, sizeof(*order));
    if (order == NULL)
        return NBSOAR_ERROR;
    const char *uuid;
    json_t *ev;
    json_object_foreach(collected, uuid, ev)
        order[k++] = ev;
    qsort(order, n, sizeof(*order), by_version);
    int rc = NBSOAR_OK;
    for (size_t i = 0; i < n && rc == NBSOAR_OK; i++) {
        long long ts = misp_event_timestamp(order[i]);
        if (ts > *newest)
            *newest = ts;
        char version[128], err[512];
        snprintf(version, sizeof(version), "%s:%lld",
                 json_string_value(json_object_get(order[i], "uuid")), ts);
        if (ts < 0 || json_object_get(c->seen, version) != NULL || !misp_event_wanted(m, order[i]))
            continue;
        json_t *out = misp_event_to_nbsoar(order[i], m->source_name, m->include_raw, err, sizeof(err));
        if (out == NULL) {
            h->log(h, NBSOAR_LOG_WARN, "skipping an event: %s", err);
            continue;
        }
        rc = h->emit_event(h, out, err, sizeof(err));
        json_decref(out);
        if (rc == NBSOAR_OK) {
            json_object_set_new(c->seen, version, json_true());
            h->counter_add(h, "events_emitted", 1);
        } else {
            h->log(h, NBSOAR_LOG_WARN, "event %s not accepted, will retry: %s", version, err);
        }
    }
    free(order);
    return rc;
}

int misp_poll(void *state)
{
    struct misp *m = state;
    const struct nbsoar_host *h = m->host;
    struct cursor c;
    if (cursor_load(m, &c) != NBSOAR_OK) {
        json_decref(c.seen);
        return NBSOAR_ERROR;
    }
    long long since = c.ts > m->overlap_s ? c.ts - m->overlap_s : 0;
    json_t *collected = json_object();
    char err[1024] = "";
    int pages = 0;
    int rc = list_pages(m, since, collected, &pages, err, sizeof(err));
    /* One short page has no boundary to skip across. */
    if (rc == NBSOAR_OK && pages > 1)
        rc = reconcile(m, since, collected, err, sizeof(err));
    if (rc != NBSOAR_OK) {
        h->log(h, NBSOAR_LOG_ERROR, "poll: %s", err);
    } else {
        long long newest = c.ts;
        int emitted = emit_new(m, &c, collected, &newest);
        if (emitted == NBSOAR_OK)
            c.ts = newest;
        rc = cursor_save(m, &c, (emitted == NBSOAR_OK ? c.ts : since) - m->overlap_s);
        if (rc == NBSOAR_OK)
            rc = emitted;
    }
    json_decref(collected);
    json_decref(c.seen);
    return rc;
}
