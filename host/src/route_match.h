/*
 * Routes: which notebooks an event starts.  Built once from the `[route NAME]`
 * sections of the config, then matched against every event.
 *
 * Route syntax (user-facing; one key per line inside `[route NAME]`):
 *
 *   [route golden-ticket]
 *   order     = 10                      # lower runs first; default 0, ties keep file order
 *   match.source            = splunk    # equality (text of the value)
 *   match.fields.rule_name  = ~ /golden ticket|kerberos tgt/i
 *   match.fields.user       = ! ~ /^svc_test/
 *   match.fields.dest       = exists
 *   mode      = all                     # all (default): every match.* holds; any: one does
 *   continue  = false                   # true: later routes are tried too
 *   notebooks = golden_ticket_ads.ipynb, generic.ipynb   # one job per notebook
 *   param.user    = {fields.user}       # the JSON value, type kept (string, number, list...)
 *   param.ips     = {fields.attributes.value}   # through a list: a list of what was found
 *   param.summary = {title} on {fields.dest}   # text: values interpolated ({{ for a brace)
 *   param.limit   = 50                  # literal: 50 is a number, true/false/null, "50" a string
 *   param_missing = null                # null (default) | error: a {path} that is absent
 *   executor  = local                   # executor instance; default: the host's default
 *   sinks     = thehive-prod, file      # sink instances that get the operations
 *   timeout   = 10m                     # per job: 500ms, 30s, 10m, 1h or plain seconds
 *   retries   = 3                       # attempts after the first; 0: none
 *   backoff   = 30s                     # first retry delay, doubled each time, with jitter
 *   backoff_max = 1h                    # cap on the retry delay
 *
 *   [route fallback]
 *   default   = true                    # used only when no other route matched
 *   notebooks = generic.ipynb
 *
 * Paths (after `match.` and inside `{...}`): dotted names from the event
 * {id, source, type, time, title, fields{}, raw{}, ref{}}; the first name
 * must be one of those, so a typo is an error instead of a route that never
 * fires.  A number indexes a list (`fields.urls.0`); a name on a list
 * applies to each element, as in Elasticsearch (`fields.attributes.type` is
 * the type of every attribute); `*` means "any element" of a list or object
 * (`raw.stats.*`); a name holding dots or spaces is quoted
 * (`raw."kibana.alert.rule.name"`).
 *
 * Tests (the value of a `match.` key):
 *   exists           the path is present and not null
 *   ~ /REGEX/FLAGS   PCRE2 regex (UTF), unanchored; flags i m s x
 *   regex:REGEX      the same without slashes or flags (use (?i) inline)
 *   = TEXT           equality; the `=` may be left out when TEXT does not
 *                    start with ~, ! or =, or spell exists or regex:
 *   ! TEST           negation of any test above (`! exists`, `! ~ /x/`, `!= x`)
 * `=` compares strings exactly (case matters), numbers as numbers (`= 5`
 * matches 5 and 5.0), booleans and null by their JSON spelling (true, false,
 * null).  `~` sees numbers and booleans as JSON writes them ("87600",
 * "true").  When the path reaches a list, the test holds if it holds for any
 * element; a missing path makes `~` and `=` false (so their negation true).
 * A route without any match.* key matches every event.
 *
 * Errors name the file and line: unknown keys, a bad path, a bad regex
 * (pattern, PCRE2 offset and message), a bad number or duration, a default
 * route with match.* keys, two default routes, no notebooks.
 *
 * Threads: a built table is read-only and may be shared; each matching
 * thread owns its own struct route_matcher (match data, per-event caches), so
 * route_table_match() allocates nothing.
 */
#ifndef NBSOAR_ROUTE_MATCH_H
#define NBSOAR_ROUTE_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* One `key = value` line of a route section, as the config parser read it.
 * All strings are borrowed during route_table_build() only. */
struct route_kv {
    const char *key;
    const char *value;
    const char *file;
    int line;
};

/* One `[route NAME]` section: its name, where it starts, its lines. */
struct route_def {
    const char *name;
    const char *file;
    int line;
    const struct route_kv *kv;
    size_t n_kv;
};

/* One build error.  msg is the whole line, "FILE:LINE: [route X] key: why";
 * file, line and text (msg + text_off: "[route X] key: why") are there for
 * a diagnostics list that prints the location itself. */
struct route_error {
    char *msg;       /* OWNED */
    char *file;      /* OWNED; NULL when unknown */
    int line;
    size_t text_off;
};

/* Collected build errors, in the order found. */
struct route_errors {
    struct route_error *items;   /* OWNED by the list */
    size_t n;
};
void route_errors_free(struct route_errors *errs);

enum route_missing { ROUTE_MISSING_NULL = 0, ROUTE_MISSING_ERROR = 1 };

struct route_cond;   /* compiled match.* test (private) */
struct route_param;  /* compiled param.* template (private) */

/* A compiled route.  Everything here is OWNED by the table and read-only. */
struct route {
    char *name;
    char *file;
    int line;
    size_t seq;            /* position in the config */
    long order;
    int is_default;
    int cont;              /* continue = true */
    int any;               /* mode = any */
    char **notebooks;
    size_t n_notebooks;
    char *executor;        /* NULL: host default */
    char **sinks;
    size_t n_sinks;
    long timeout_ms;       /* 0: none */
    int retries;
    long backoff_ms;
    long backoff_max_ms;
    enum route_missing missing;
    struct route_cond *conds;    /* cheapest first */
    size_t n_conds;
    struct route_param *params;
    size_t n_params;
};

struct route_table;

/* Builds the table.  Returns NULL when any route is wrong: then every
 * problem found is appended to errs (the caller frees errs). */
struct route_table *route_table_build(const struct route_def *defs, size_t n_defs,
                                      struct route_errors *errs);
void route_table_free(struct route_table *t);

/* Routes in evaluation order (the default route, if any, last). */
size_t route_table_count(const struct route_table *t);
const struct route *route_table_get(const struct route_table *t, size_t i);
/* Upper bound of jobs one event can produce: size a job array with it. */
size_t route_table_max_jobs(const struct route_table *t);

/* Per-thread match state; needs the table it was made for.  NULL on ENOMEM. */
struct route_matcher *route_matcher_new(const struct route_table *t);
void route_matcher_free(struct route_matcher *m);

/* One job: a route and one of its notebooks (both borrowed from the table). */
struct route_job {
    const struct route *route;
    const char *notebook;
};

/* Matches one event (borrowed).  Fills up to max_jobs jobs in route order
 * and returns how many the event produces (more than max_jobs means the
 * array was too small).  No allocation; a regex that hits the PCRE2 match
 * limit counts as no match.  The event's strings must be valid UTF-8, as
 * every string jansson parses or builds is (json_string_nocheck aside): the
 * JIT matcher does not check it again. */
size_t route_table_match(const struct route_table *t, struct route_matcher *m,
                         const json_t *event, struct route_job *jobs, size_t max_jobs);

/* Parameters of a job: an object of param.* values in config order, then
 * nbsoar_event (the whole event); values are copies, never shared with the
 * event.  *out OWNED by the caller.  Returns 0, or -1 with err set when
 * param_missing = error and a path is absent. */
int route_params_build(const struct route *r, const json_t *event, json_t **out,
                       char *err, size_t errlen);

#endif
