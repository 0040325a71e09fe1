/* Splunk source benchmark: notables parsed and emitted per second from a
 * generated export stream, and the process's peak RSS.
 *
 * The whole source path of the plugin runs as in production: poll() ->
 * host->http (here: the generated stream file read in 64 KiB chunks and
 * handed to on_data, as libcurl hands over a chunked body) -> line splitter
 * -> export line parser -> seen-set -> correlation search cache (answered
 * once per name by the fake http) -> event building -> host->emit_event,
 * which routes each event through the host's route table (20 routes on
 * the detection name, source type and SPL, plus a default) and counts.
 *
 *   build/bench/splunk_bench [-m MEGABYTES] [-r RUNS] [-k]
 * -m  stream size (default 100), -r runs (default 5), -k keep the file.
 * Peak RSS is the whole process's (getrusage), so run one size per process. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nbsoar/plugin.h>

#include "route_match.h"

static const char *stream_path;
static long emitted, routed_jobs, saved_search_calls;
static struct route_table *routes;
static struct route_matcher *matcher;

static const char *const searches[] = {
    "Access - Excessive Failed Logins - Rule",
    "Endpoint - Suspicious PowerShell Encoded Command - Rule",
    "Access - Kerberos Golden Ticket - Rule",
    "Network - Unusual DNS Volume - Rule",
    "Threat - Threat Intelligence Match - Rule",
    "Identity - Root Success - Rule",
};
#define N_SEARCHES (sizeof(searches) / sizeof(searches[0]))

/* One notable as the `notable` macro returns it (about 2 KB). */
static int write_row(FILE *f, long i, long n, time_t end)
{
    const char *name = searches[i % N_SEARCHES];
    long t = (long)end - 300 + (long)(300.0 * (double)(n - i) / (double)n);
    return fprintf(f,
        "{\"preview\":false,\"offset\":%ld,%s\"result\":{\"_time\":\"%ld.000\","
        "\"event_id\":\"5E6DE97D-7E4F-4C1B-9D2A-3F6E8A9B0C11@@notable@@%016lx%016lx\","
        "\"event_hash\":\"%016lx%016lx\",\"indexer_guid\":\"5E6DE97D-7E4F-4C1B-9D2A-3F6E8A9B0C11\","
        "\"index\":\"notable\",\"sourcetype\":\"stash\",\"source\":\"%s\",\"search_name\":\"%s\","
        "\"rule_name\":\"Rule %lu\",\"rule_title\":\"Suspicious activity for $user$ on $dest$\","
        "\"rule_description\":\"Correlation search %lu raised a notable for this user and host\","
        "\"savedsearch_description\":\"Detects a pattern of events across the data models\","
        "\"orig_sourcetype\":\"XmlWinEventLog:Security\",\"orig_source\":\"WinEventLog:Security\","
        "\"orig_index\":\"wineventlog\",\"orig_host\":\"WS-%04ld.corp.example.com\","
        "\"orig_sid\":\"scheduler__admin__SplunkEnterpriseSecuritySuite__RMD5%016lx_at_%ld_%ld\","
        "\"orig_rid\":\"0\",\"orig_action_name\":\"notable\",\"security_domain\":\"access\","
        "\"urgency\":\"high\",\"severity\":\"high\",\"priority\":\"medium\",\"status\":\"1\","
        "\"status_label\":\"New\",\"status_description\":\"Event has not been reviewed.\","
        "\"status_group\":\"New\",\"status_default\":\"true\",\"status_end\":\"false\","
        "\"owner\":\"unassigned\",\"owner_realname\":\"unassigned\",\"disposition\":\"disposition:6\","
        "\"disposition_label\":\"Undetermined\",\"notable_type\":\"notable\",\"risk_score\":\"80\","
        "\"user\":\"user%03ld\",\"src\":\"10.%ld.%ld.%ld\",\"dest\":\"WS-%04ld.corp.example.com\","
        "\"src_user\":\"user%03ld\",\"signature\":\"An account failed to log on\",\"action\":\"failure\","
        "\"app\":\"win:remote\",\"tag\":[\"authentication\",\"failure\",\"windows\"],"
        "\"drilldown_search\":\"index=wineventlog user=$user$ dest=$dest$ EventCode=4625\","
        "\"drilldown_earliest_offset\":\"$info_min_time$\",\"drilldown_latest_offset\":\"$info_max_time$\","
        "\"extract_artifacts\":\"{\\\"asset\\\":[\\\"src\\\",\\\"dest\\\",\\\"dvc\\\",\\\"orig_host\\\"],"
        "\\\"identity\\\":[\\\"src_user\\\",\\\"user\\\"]}\","
        "\"info_min_time\":\"%ld.000\",\"info_max_time\":\"%ld.000\",\"info_search_time\":\"%ld.100\"}}\n",
        i, i == n - 1 ? "\"lastrow\":true," : "", t, (unsigned long)i * 2654435761UL,
        (unsigned long)i, (unsigned long)i, (unsigned long)i * 40503UL, name, name,
        (unsigned long)(i % N_SEARCHES), (unsigned long)(i % N_SEARCHES), i % 5000,
        (unsigned long)i, t, i, i % 1000, i % 250, i % 199, i % 251, i % 5000, i % 1000, t - 3600,
        t, t);
}

/* Writes about `mb` MB of export lines; returns the number of notables. */
static long generate(const char *path, long mb, time_t end)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    long row = 0, target = mb * 1000000L, per_row = 0;
    /* A first pass over one row gives its size, so lastrow lands on the last. */
    char probe[4096];
    FILE *m = fmemopen(probe, sizeof(probe), "w");
    per_row = write_row(m, 123456, 1000000, end);
    fclose(m);
    long n = target / per_row;
    fprintf(f, "{\"preview\":true,\"offset\":0,\"result\":{\"event_id\":\"preview@@notable@@0\"}}\n");
    for (row = 0; row < n; row++)
        write_row(f, row, n, end);
    fprintf(f, "{\"preview\":false,\"messages\":[{\"type\":\"INFO\",\"text\":\"done\"}]}\n");
    fclose(f);
    return n;
}

/* ---- the counting host ---- */

static void h_log(const struct nbsoar_host *h, enum nbsoar_log_level lvl, const char *fmt, ...)
{
    (void)h;
    if (lvl > NBSOAR_LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void h_secret_add(const struct nbsoar_host *h, const char *v)
{
    (void)h;
    (void)v;
}

static char *h_redact(const struct nbsoar_host *h, const char *text)
{
    (void)h;
    return strdup(text);
}

static int h_http(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                  const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                  char *err, size_t errlen)
{
    (void)h;
    (void)ep;
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    if (strstr(req->url, "/saved/searches/") != NULL) {
        saved_search_calls++;
        resp->json = json_pack("{s:[{s:s, s:{s:s}, s:{s:s, s:s}}]}", "entry", "name", "x", "acl",
                               "app", "SplunkEnterpriseSecuritySuite", "content", "search",
                               "| tstats count from datamodel=Authentication by user | where count>5",
                               "description", "bench");
        return NBSOAR_OK;
    }
    FILE *f = fopen(stream_path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s", stream_path);
        return NBSOAR_ERROR;
    }
    static char chunk[65536];
    size_t n;
    int rc = NBSOAR_OK;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (req->on_data(req->on_data_arg, chunk, n) != 0) {
            snprintf(err, errlen, "on_data stopped the stream");
            rc = NBSOAR_ERROR;
            break;
        }
    }
    fclose(f);
    return rc;
}

static void h_http_free(struct nbsoar_http_response *resp)
{
    free(resp->body);
    json_decref(resp->json);
    free(resp->content_type);
    free(resp->location);
}

static int h_emit(const struct nbsoar_host *h, const json_t *event, char *err, size_t errlen)
{
    (void)h;
    (void)err;
    (void)errlen;
    if (json_object_get(event, "id") != NULL)
        emitted++;
    struct route_job jobs[8];
    routed_jobs += (long)route_table_match(routes, matcher, event, jobs, 8);
    return NBSOAR_OK;
}

static int h_cursor_get(const struct nbsoar_host *h, const char *key, char **value)
{
    (void)h;
    (void)key;
    *value = NULL;
    return NBSOAR_OK;
}

static int h_cursor_set(const struct nbsoar_host *h, const char *key, const char *value)
{
    (void)h;
    (void)key;
    (void)value;
    return NBSOAR_OK;
}

static void h_counter(const struct nbsoar_host *h, const char *name, double v)
{
    (void)h;
    (void)name;
    (void)v;
}

static double now_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 20 routes a SOC would write for notables, and the generic default. */
static int build_routes(void)
{
    static const char *const names[] = {"Excessive Failed Logins", "Golden Ticket", "Brute Force",
                                        "Malware Detected", "Suspicious PowerShell"};
    static char bufs[20][3][96];
    struct route_kv kv[20][3];
    struct route_def defs[21];
    for (int i = 0; i < 20; i++) {
        snprintf(bufs[i][0], 96, "~ /%s %d/i", names[i % 5], i);
        snprintf(bufs[i][1], 96, "route%d.ipynb", i);
        snprintf(bufs[i][2], 96, "route%d", i);
        const char *path = i % 3 == 0 ? "match.fields.search_name"
                         : i % 3 == 1 ? "match.fields.detection.search" : "match.fields.rule_name";
        kv[i][0] = (struct route_kv){path, bufs[i][0], "bench", 1};
        kv[i][1] = (struct route_kv){"match.fields.orig_sourcetype", "exists", "bench", 2};
        kv[i][2] = (struct route_kv){"notebooks", bufs[i][1], "bench", 3};
        defs[i] = (struct route_def){bufs[i][2], "bench", 1, kv[i], 3};
    }
    static const struct route_kv dflt[] = {{"default", "true", "bench", 1},
                                           {"notebooks", "generic.ipynb", "bench", 2}};
    defs[20] = (struct route_def){"generic", "bench", 1, dflt, 2};
    struct route_errors errs = {0};
    routes = route_table_build(defs, 21, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.items[i].msg);
    route_errors_free(&errs);
    matcher = routes ? route_matcher_new(routes) : NULL;
    return matcher ? 0 : -1;
}

int main(int argc, char **argv)
{
    long mb = 100;
    int runs = 5, keep = 0, opt;
    while ((opt = getopt(argc, argv, "m:r:k")) != -1) {
        if (opt == 'm')
            mb = atol(optarg);
        else if (opt == 'r')
            runs = atoi(optarg);
        else if (opt == 'k')
            keep = 1;
        else {
            fprintf(stderr, "usage: %s [-m MEGABYTES] [-r RUNS] [-k]\n", argv[0]);
            return 2;
        }
    }
    if (mb < 1 || runs < 1 || runs > 50)
        return 2;
    char path[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/splunk_bench_%ldMB_%d.jsonl", tmp ? tmp : "/tmp", mb, getpid());
    stream_path = path;
    time_t end = time(NULL) - 60;
    long n = generate(path, mb, end);
    printf("stream: %ld MB, %ld notables (%s)\n", mb, n, path);

    struct nbsoar_host host = {
        .abi_major = NBSOAR_ABI_MAJOR, .abi_minor = NBSOAR_ABI_MINOR,
        .struct_size = sizeof(struct nbsoar_host), .instance = "splunk-bench",
        .log = h_log, .secret_add = h_secret_add, .redact = h_redact, .http = h_http,
        .http_response_free = h_http_free, .emit_event = h_emit, .cursor_get = h_cursor_get,
        .cursor_set = h_cursor_set, .counter_add = h_counter,
    };
    if (build_routes() != 0)
        return 1;
    const struct nbsoar_plugin *p = nbsoar_plugin_entry();
    json_t *conf = json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:I}",
                             "url", "https://splunk.example.org:8089", "token", "bench-token",
                             "search", "search `notable`", "enrich", 1,
                             "enrich_ttl", (json_int_t)3600000, "lookback", (json_int_t)600000,
                             "delay", (json_int_t)0, "first_window", (json_int_t)7200000,
                             "seen_max", (json_int_t)5000, "max_line", (json_int_t)1048576,
                             "saved_searches_path", "/servicesNS/-/-/saved/searches",
                             "timeout", (json_int_t)30000, "retries", (json_int_t)0);
    double rates[50];
    for (int r = 0; r < runs; r++) {
        void *state = NULL;
        if (p->init(&host, conf, &state) != NBSOAR_OK)
            return 1;
        emitted = 0;
        routed_jobs = 0;
        saved_search_calls = 0;
        double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
        int rc = p->poll(state);
        double wall = now_s(CLOCK_MONOTONIC) - w0, cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        p->shutdown(state);
        if (rc != NBSOAR_OK || emitted != n) {
            fprintf(stderr, "run %d: poll %d, emitted %ld of %ld\n", r + 1, rc, emitted, n);
            return 1;
        }
        rates[r] = (double)emitted / cpu;
        printf("run %d: %ld notables in %.2f s wall, %.2f s CPU: %.0f notables/s (CPU), "
               "%.1f MB/s; %ld jobs routed; saved/searches calls %ld\n", r + 1, emitted, wall, cpu,
               rates[r], (double)mb / cpu, routed_jobs, saved_search_calls);
    }
    json_decref(conf);
    qsort(rates, (size_t)runs, sizeof(double), cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("median: %.0f notables/s (CPU time), peak RSS %.1f MB\n", rates[runs / 2],
           (double)ru.ru_maxrss / 1024.0);
    route_matcher_free(matcher);
    route_table_free(routes);
    if (!keep)
        unlink(path);
    return 0;
}
