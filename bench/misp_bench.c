/*
 * misp_bench: the misp plugin's own costs, no network.
 *   1. parse + flatten: the largest fixture event (very_long_event.json)
 *      read with json_loads and turned into an nbsoar event, in a loop.
 *   2. poll: restSearch pages of 100 events (built from the fixture events,
 *      each with its own uuid) served by a fake host whose http parses the
 *      canned body as the real client does; the real poll code pages,
 *      reconciles, flattens and emits to a counting emit_event.
 * Each figure is the median of `runs` runs, in wall time and in CPU time
 * of this thread (the machine may be shared).
 *
 * usage: misp_bench [fixtures/misp dir] [runs]
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "misp.h"

static char *page_body, *empty_body, *meta_body;
static size_t page_len;
static long emitted;

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n + 1);
    if (buf != NULL && fread(buf, 1, n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* ---- a minimal host: http serves the canned pages, emit counts ---- */
static void h_log(const struct nbsoar_host *h, enum nbsoar_log_level l, const char *fmt, ...)
{
    (void)h, (void)l, (void)fmt;
}
static void h_logf(const struct nbsoar_host *h, enum nbsoar_log_level l, const json_t *f,
                   const char *fmt, ...)
{
    (void)h, (void)l, (void)f, (void)fmt;
}
static void h_secret_add(const struct nbsoar_host *h, const char *v)
{
    (void)h, (void)v;
}
static int h_http(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                  const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                  char *err, size_t errlen)
{
    (void)h, (void)ep, (void)err, (void)errlen;
    memset(resp, 0, sizeof(*resp));
    const char *body = "{\"version\": \"2.5.1\"}";
    if (req->json != NULL) {
        json_t *page = json_object_get(req->json, "page");
        if (json_integer_value(json_object_get(req->json, "metadata")))
            body = meta_body;
        else
            body = page != NULL && json_integer_value(page) == 1 ? page_body : empty_body;
    }
    resp->status = 200;
    resp->json = json_loads(body, 0, NULL);
    return NBSOAR_OK;
}
static void h_http_free(struct nbsoar_http_response *resp)
{
    json_decref(resp->json);
    free(resp->body);
}
static int h_emit(const struct nbsoar_host *h, const json_t *ev, char *err, size_t errlen)
{
    (void)h, (void)ev, (void)err, (void)errlen;
    emitted++;
    return NBSOAR_OK;
}
static int h_cursor_get(const struct nbsoar_host *h, const char *key, char **value)
{
    (void)h, (void)key;
    *value = NULL; /* every poll starts afresh, so every poll emits the page */
    return NBSOAR_OK;
}
static int h_cursor_set(const struct nbsoar_host *h, const char *key, const char *value)
{
    (void)h, (void)key, (void)value;
    return NBSOAR_OK;
}
static void h_counter(const struct nbsoar_host *h, const char *n, double v)
{
    (void)h, (void)n, (void)v;
}

static const struct nbsoar_host host = {
    .abi_major = NBSOAR_ABI_MAJOR, .abi_minor = NBSOAR_ABI_MINOR,
    .struct_size = sizeof(struct nbsoar_host), .instance = "misp-bench",
    .log = h_log, .logf = h_logf, .secret_add = h_secret_add, .http = h_http,
    .http_response_free = h_http_free, .emit_event = h_emit, .cursor_get = h_cursor_get,
    .cursor_set = h_cursor_set, .counter_add = h_counter,
};

/* 100 events cycled from the fixture events of at most max_bytes of JSON
 * each, each with its own uuid and timestamp. */
static void build_pages(const char *dir, size_t max_bytes)
{
    char pattern[1024];
    snprintf(pattern, sizeof(pattern), "%s/*.json", dir);
    glob_t g;
    json_t *fixtures = json_array();
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            json_t *j = json_load_file(g.gl_pathv[i], 0, NULL);
            json_t *ev = json_object_get(j, "Event") ? json_object_get(j, "Event") : j;
            char *dump = json_dumps(ev, JSON_COMPACT);
            if (json_is_object(ev) && json_object_get(ev, "uuid") && json_object_get(ev, "info") &&
                dump != NULL && strlen(dump) <= max_bytes)
                json_array_append(fixtures, ev);
            free(dump);
            json_decref(j);
        }
        globfree(&g);
    }
    if (json_array_size(fixtures) == 0) {
        fprintf(stderr, "no fixture events in %s\n", dir);
        exit(2);
    }
    json_t *list = json_array(), *meta = json_array();
    for (int i = 0; i < 100; i++) {
        json_t *ev = json_deep_copy(json_array_get(fixtures, i % json_array_size(fixtures)));
        json_object_set_new(ev, "uuid", json_sprintf("00000000-0000-4000-8000-%012d", i));
        json_object_set_new(ev, "id", json_sprintf("%d", 1000 + i));
        json_object_set_new(ev, "timestamp", json_sprintf("%d", 1700000000 + i));
        json_t *m = json_copy(ev);
        json_object_del(m, "Attribute");
        json_object_del(m, "Object");
        json_array_append_new(meta, json_pack("{s:o}", "Event", m));
        json_array_append_new(list, json_pack("{s:o}", "Event", ev));
    }
    json_t *page = json_pack("{s:o}", "response", list), *mp = json_pack("{s:o}", "response", meta);
    page_body = json_dumps(page, JSON_COMPACT);
    meta_body = json_dumps(mp, JSON_COMPACT);
    empty_body = strdup("{\"response\": []}");
    page_len = strlen(page_body);
    json_decref(page);
    json_decref(mp);
    json_decref(fixtures);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/fixtures/misp";
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 64)
        runs = 5;
    char path[1024];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/very_long_event.json", dir);
    char *text = slurp(path, &len);
    if (text == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    double wall[64], cpu[64];
    const int loops = 200;
    long attrs = 0;
    for (int r = 0; r < runs; r++) {
        double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
        for (int i = 0; i < loops; i++) {
            json_t *j = json_loads(text, 0, NULL);
            char err[256];
            json_t *ev = misp_event_to_nbsoar(json_object_get(j, "Event"), "bench", 1, err, sizeof(err));
            attrs = (long)json_array_size(json_object_get(json_object_get(ev, "fields"), "attributes"));
            json_decref(ev);
            json_decref(j);
        }
        wall[r] = loops / (now(CLOCK_MONOTONIC) - w0);
        cpu[r] = loops / (now(CLOCK_THREAD_CPUTIME_ID) - c0);
    }
    double mw = median(wall, runs), mc = median(cpu, runs);
    printf("parse+flatten %s (%zu bytes, %ld attributes): %.0f events/s wall, %.0f CPU; "
           "%.1f MB/s wall, %.1f CPU\n", "very_long_event.json", len, attrs, mw, mc,
           mw * len / 1e6, mc * len / 1e6);
    free(text);

    const struct nbsoar_plugin *p = nbsoar_plugin_entry();
    json_t *conf = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:i, s:b}", "url", "http://bench.invalid/",
                             "key", "bench-key", "verifycert", "true", "published", "any",
                             "page_limit", 100, "lookback", (json_int_t)2000000000000LL,
                             "overlap", 60000, "include_raw", 1);
    void *state = NULL;
    if (p->init(&host, conf, &state) != NBSOAR_OK) {
        fprintf(stderr, "init failed\n");
        return 1;
    }
    static const struct { const char *label; size_t max_bytes; } mixes[] = {
        {"every fixture event", (size_t)-1},
        {"fixture events under 20 KB", 20000},
    };
    for (size_t k = 0; k < 2; k++) {
        build_pages(dir, mixes[k].max_bytes);
        const int polls = k == 0 ? 20 : 200;
        for (int r = 0; r < runs; r++) {
            emitted = 0;
            double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
            for (int i = 0; i < polls; i++)
                p->poll(state);
            wall[r] = emitted / (now(CLOCK_MONOTONIC) - w0);
            cpu[r] = emitted / (now(CLOCK_THREAD_CPUTIME_ID) - c0);
            if (emitted != polls * 100) {
                fprintf(stderr, "emitted %ld, expected %d\n", emitted, polls * 100);
                return 1;
            }
        }
        mw = median(wall, runs);
        mc = median(cpu, runs);
        printf("poll, restSearch pages of 100 (%s; page %zu bytes; parse+reconcile+flatten+emit): "
               "%.0f events/s wall, %.0f CPU; %.1f MB/s CPU of page JSON\n", mixes[k].label, page_len,
               mw, mc, mc / 100 * page_len / 1e6);
        free(page_body);
        free(meta_body);
        free(empty_body);
    }
    p->shutdown(state);
    json_decref(conf);
    return 0;
}
