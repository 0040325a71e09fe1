/* Routing benchmark: events matched per second against 100 routes on one
 * core.  Events are shaped like Splunk notables, MISP events and TheHive
 * alerts; the routes mix regexes (each its own pattern), equalities, exists,
 * negations, `*` paths, any-of routes and a default route.  Every route but
 * the default has continue = true, so each event is tested against all of
 * them: the worst case.  -1 drops continue (first match wins), as most
 * configs are written.
 *
 *   build/bench/route_bench [-n EVENTS_PER_RUN] [-r RUNS] [-1]
 * prints each run and the median. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route_match.h"

#define N_ROUTES 100
#define MAX_KV 8
#define N_EVENTS 3000

static struct route_def defs[N_ROUTES];
static struct route_kv kvs[N_ROUTES][MAX_KV];
static size_t n_defs;

static char *fmt(const char *f, ...)
{
    char *s;
    va_list ap;
    va_start(ap, f);
    if (vasprintf(&s, f, ap) < 0)
        abort();
    va_end(ap);
    return s;
}

static void route(const char *name, ...)
{
    struct route_def *d = &defs[n_defs];
    d->name = fmt("%s-%zu", name, n_defs);
    d->file = "bench.conf";
    d->line = (int)n_defs * 10 + 1;
    d->kv = kvs[n_defs];
    va_list ap;
    va_start(ap, name);
    for (const char *k = va_arg(ap, const char *); k != NULL; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        kvs[n_defs][d->n_kv] = (struct route_kv){.key = k, .value = v, .file = "bench.conf",
                                                 .line = d->line + (int)d->n_kv + 1};
        d->n_kv++;
    }
    va_end(ap);
    n_defs++;
}

static const char *const splunk_rules[] = {
    "Kerberos Golden Ticket Detected", "Brute Force Access Behavior Detected",
    "Excessive Failed Logins", "Suspicious PowerShell Command Line",
    "Abnormally High Number of HTTP Method Events", "Unapproved Port Activity Detected",
    "Host With Multiple Infections", "Detect Mimikatz Using Loaded Images",
    "DNS Query Length With High Standard Deviation", "Remote Desktop Network Bruteforce"};
static const char *const users[] = {"svc_backup", "kim", "administrator", "j.doe",
                                    "svc_sql", "a.martin", "krbtgt", "guest"};
static const char *const galaxies[] = {"LockBit", "BlackCat", "Conti", "Royal", "Akira",
                                       "Play", "Emotet", "QakBot"};

static void build_routes(const char *cont)
{
    char *n;
    /* 35 Splunk routes: source, a rule-name regex each, some urgency / user tests. */
    for (int i = 0; i < 35; i++) {
        const char *rule = splunk_rules[i % 10];
        char word[32];
        sscanf(rule + (i / 10) * 2 % 5, "%31s", word);
        n = fmt("~ /%s.*%s|%d-unused/i", word, strrchr(rule, ' ') + 1, i);
        if (i % 3 == 0)
            route("splunk", "match.source", "splunk", "match.fields.rule_name", n,
                  "match.fields.urgency", "high", "notebooks", "s.ipynb", "continue", cont,
                  "param.user", "{fields.user}", NULL);
        else if (i % 3 == 1)
            route("splunk", "match.source", "splunk", "match.fields.rule_name", n,
                  "match.fields.user", fmt("! ~ /^(svc_|%s)/", users[i % 8]),
                  "notebooks", "s.ipynb, t.ipynb", "continue", cont, NULL);
        else
            route("splunk", "match.type", "notable", "match.fields.search_name", n,
                  "match.fields.dest", "exists", "notebooks", "s.ipynb", "continue", cont, NULL);
    }
    /* 30 MISP routes: galaxy tags, attribute types, threat level. */
    for (int i = 0; i < 30; i++) {
        if (i % 2 == 0)
            route("misp", "match.source", "misp", "match.fields.tags",
                  fmt("~ /misp-galaxy:ransomware=\"%s%s\"/", galaxies[i % 8],
                      i >= 16 ? "-v2" : ""),
                  "notebooks", "m.ipynb", "continue", cont, NULL);
        else
            route("misp", "match.ref.system", "misp", "match.fields.attributes.*.type",
                  i % 3 ? "ip-dst" : "sha256", "match.fields.threat_level_id",
                  fmt("%d", 1 + i % 4), "notebooks", "m.ipynb", "continue", cont, NULL);
    }
    /* 25 TheHive routes: title regexes, severity, tags, observables. */
    for (int i = 0; i < 25; i++) {
        if (i % 2 == 0)
            route("thehive", "match.source", "thehive", "match.title",
                  fmt("~ /\\b(phish\\w*|invoice-%d|credential)\\b/i", i),
                  "match.fields.severity", fmt("%d", 1 + i % 3), "notebooks", "h.ipynb",
                  "continue", cont, NULL);
        else
            route("thehive", "match.raw.tags", i % 4 == 1 ? "phishing" : "malware",
                  "match.raw.observables.dataType", i % 3 ? "url" : "mail",
                  "match.fields.urls", "exists", "notebooks", "h.ipynb", "continue", cont,
                  NULL);
    }
    /* 9 generic routes: any-of, negations, regex on hosts. */
    for (int i = 0; i < 9; i++)
        route("generic", "mode", "any", "match.type", "detection", "match.fields.dest",
              fmt("~ /^DC%02d\\./", i), "match.fields.signed", "false", "notebooks", "g.ipynb",
              "continue", cont, NULL);
    route("fallback", "default", "true", "notebooks", "generic.ipynb", NULL);
}

static json_t *make_event(int i)
{
    unsigned r = (unsigned)i * 2654435761u;
    char id[64];
    snprintf(id, sizeof(id), "evt-%d-%08x", i, r);
    switch (i % 3) {
    case 0:
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
                         " s:i, s:s}, s:{}, s:{s:s, s:s, s:s}}",
                         "id", id, "source", "splunk", "type", "notable",
                         "time", "2026-11-20T08:14:02Z", "title", splunk_rules[r % 10],
                         "fields", "rule_name", splunk_rules[r % 10],
                         "search_name", splunk_rules[(r >> 4) % 10],
                         "urgency", r % 2 ? "high" : "medium", "security_domain", "access",
                         "user", users[r % 8], "src_host", "WS-0231.corp.example.com",
                         "dest", r % 5 ? "DC01.corp.example.com" : "FS02.corp.example.com",
                         "owner", "unassigned", "ticket_lifetime_hours", (int)(r % 100000),
                         "drilldown_search", "index=wineventlog EventCode=4769",
                         "raw", "ref", "system", "splunk", "kind", "notable", "id", id);
    case 1:
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:b, s:s, s:[s,s,s],"
                         " s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}, s:{}, s:{s:s, s:s, s:s}}",
                         "id", id, "source", "misp", "type", "event",
                         "time", "2026-11-20T10:30:00Z",
                         "title", "OSINT - ransomware loader distributed through fake updates",
                         "fields", "info", "OSINT - ransomware loader",
                         "threat_level_id", r % 2 ? "1" : "3", "published", 1, "org", "CIRCL",
                         "tags", "tlp:white",
                         r % 4 == 0 ? "misp-galaxy:ransomware=\"LockBit\""
                                    : "misp-galaxy:ransomware=\"Unknown\"",
                         "type:OSINT",
                         "attributes", "type", "domain", "value", "update-browser.example",
                         "type", r % 3 ? "ip-dst" : "ip-src", "value", "198.51.100.23",
                         "type", "sha256", "value", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
                         "raw", "ref", "system", "misp", "kind", "event", "id", "1287");
    default:
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:[s,s], s:i, s:i},"
                         " s:{s:s, s:s, s:[s,s], s:[{s:s,s:s},{s:s,s:s}]},"
                         " s:{s:s, s:s, s:s}}",
                         "id", id, "source", "thehive", "type", "alert",
                         "time", "2026-11-20T09:02:41Z",
                         "title", r % 2 ? "Reported phishing: Urgent invoice verification"
                                        : "EDR: unsigned binary from temp folder",
                         "fields", "sender", "billing@invoices-example.net",
                         "subject", "URGENT: verify your account",
                         "urls", "http://203.0.113.45/login.php", "https://invoices.example/t",
                         "severity", (int)(1 + r % 3), "tlp", 2,
                         "raw", "_id", id, "status", "New",
                         "tags", r % 2 ? "phishing" : "malware", "reported",
                         "observables", "dataType", "mail", "data", "billing@invoices.example",
                         "dataType", "url", "data", "http://203.0.113.45/login.php",
                         "ref", "system", "thehive", "kind", "alert", "id", id);
    }
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

int main(int argc, char **argv)
{
    long per_run = 1000000;
    int runs = 5, opt;
    const char *cont = "true";
    while ((opt = getopt(argc, argv, "n:r:1")) != -1) {
        if (opt == '1')
            cont = "false";
        else if (opt == 'n')
            per_run = atol(optarg);
        else if (opt == 'r')
            runs = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-n events per run] [-r runs] [-1]\n", argv[0]);
            return 2;
        }
    }
    if (runs < 1 || runs > 100 || per_run < 1) {
        fprintf(stderr, "bad -n or -r\n");
        return 2;
    }
    build_routes(cont);
    struct route_errors errs = {0};
    struct route_table *t = route_table_build(defs, n_defs, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.items[i].msg);
    if (t == NULL)
        return 1;
    static json_t *events[N_EVENTS];
    for (int i = 0; i < N_EVENTS; i++)
        events[i] = make_event(i);
    struct route_matcher *m = route_matcher_new(t);
    size_t max_jobs = route_table_max_jobs(t);
    struct route_job *jobs = calloc(max_jobs, sizeof(*jobs));

    /* Warm-up, and how many jobs the mix produces. */
    size_t total_jobs = 0;
    for (int i = 0; i < N_EVENTS; i++)
        total_jobs += route_table_match(t, m, events[i], jobs, max_jobs);
    printf("%zu routes (%s), %d distinct events (Splunk/MISP/TheHive), %.2f jobs per event\n",
           route_table_count(t), cont[0] == 't' ? "all tried: continue = true"
                                                : "first match wins",
           N_EVENTS, (double)total_jobs / N_EVENTS);

    /* CPU time of this thread is the figure ("on one core"): other work on
     * the machine does not count against it.  Wall time is shown beside. */
    double *rates = calloc((size_t)runs, sizeof(*rates));
    double *walls = calloc((size_t)runs, sizeof(*walls));
    volatile size_t sink = 0;
    for (int r = 0; r < runs; r++) {
        double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
        for (long i = 0; i < per_run; i++)
            sink += route_table_match(t, m, events[i % N_EVENTS], jobs, max_jobs);
        rates[r] = (double)per_run / (now_s(CLOCK_THREAD_CPUTIME_ID) - c0);
        walls[r] = (double)per_run / (now_s(CLOCK_MONOTONIC) - w0);
        printf("run %d: %.0f events/s of CPU time (%.0f/s wall)\n", r + 1, rates[r], walls[r]);
    }
    qsort(rates, (size_t)runs, sizeof(*rates), cmp_double);
    qsort(walls, (size_t)runs, sizeof(*walls), cmp_double);
    printf("median: %.0f events/s against %zu routes on one core (wall: %.0f/s)\n",
           rates[runs / 2], route_table_count(t), walls[runs / 2]);
    (void)sink;
    free(rates);
    free(walls);
    free(jobs);
    route_matcher_free(m);
    for (int i = 0; i < N_EVENTS; i++)
        json_decref(events[i]);
    route_table_free(t);
    return 0;
}
