/* Dispatcher: events in.  A source's event is checked, matched against the
 * routes and written with its jobs in one journal transaction, so a job row
 * exists before anything runs and an acknowledged event is never lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_internal.h"
#include "log.h"
#include "route_conf.h"

/* Bigger events are quarantined: a notebook parameter of megabytes is a
 * mistake upstream, and the journal keeps every event. */
#define EVENT_MAX_BYTES (1024 * 1024)

struct route_table *dispatch_build_routes(const struct conf *conf, char *err, size_t errlen)
{
    struct diags d = {0};
    struct route_table *t = route_table_from_conf(conf, &d);
    size_t off = 0;
    err[0] = '\0';
    for (size_t e = 0; t == NULL && e < d.n && off + 1 < errlen; e++)
        off += (size_t)snprintf(err + off, errlen - off, "%s%s", e ? "\n" : "",
                                d.items[e].msg ? d.items[e].msg : "out of memory");
    if (t == NULL && off == 0)
        snprintf(err, errlen, "out of memory");
    diags_free(&d);
    return t;
}

int dispatch_reload_routes(struct dispatcher *d, char *err, size_t errlen)
{
    struct diags diags = {0};
    struct conf *c = conf_load(d->conf->path, &diags);
    int rc = -1;
    if (c == NULL || diags_count(&diags) > 0) {
        snprintf(err, errlen, "%s: the config has problems; routes kept (see nbsoar check)",
                 d->conf->path);
    } else {
        struct route_table *t = dispatch_build_routes(c, err, errlen);
        struct route_matcher *m = t ? route_matcher_new(t) : NULL;
        if (t != NULL && m != NULL) {
            pthread_mutex_lock(&d->mu);
            route_matcher_free(d->matcher);
            route_table_free(d->routes);
            d->routes = t;
            d->matcher = m;
            pthread_mutex_unlock(&d->mu);
            rc = 0;
        } else {
            route_table_free(t);
        }
    }
    conf_free(c);
    diags_free(&diags);
    return rc;
}

char *dispatch_notebook_path(const struct conf *conf, const char *notebook)
{
    char *resolved = conf_resolve_path(conf, notebook);
    char *real = resolved ? realpath(resolved, NULL) : NULL;
    if (real == NULL)
        return resolved; /* missing now: the job fails with the path named */
    free(resolved);
    return real;
}

void dispatch_free_job_ins(struct journal_job_in *jobs, size_t n)
{
    for (size_t i = 0; jobs != NULL && i < n; i++) {
        json_decref((json_t *)jobs[i].parameters);
        free((char *)jobs[i].notebook);
    }
    free(jobs);
}

int dispatch_match_event(struct dispatcher *d, const json_t *event, struct journal_job_in **jobs,
                         size_t *n_jobs, char *err, size_t errlen)
{
    *jobs = NULL;
    *n_jobs = 0;
    size_t max = route_table_max_jobs(d->routes);
    struct route_job *rj = calloc(max ? max : 1, sizeof *rj);
    if (rj == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = route_table_match(d->routes, d->matcher, event, rj, max);
    if (n > max)
        n = max;
    struct journal_job_in *out = calloc(n ? n : 1, sizeof *out);
    int rc = out ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct route *r = rj[i].route;
        json_t *params = NULL;
        if (route_params_build(r, event, &params, err, errlen) != 0) {
            rc = -1;
            break;
        }
        out[i] = (struct journal_job_in){
            .route = r->name,
            .notebook = dispatch_notebook_path(d->conf, rj[i].notebook),
            .parameters = params,
            .retries = r->retries,
            .backoff_ms = r->backoff_ms,
            .backoff_max_ms = r->backoff_max_ms,
        };
        *n_jobs = i + 1;
    }
    free(rj);
    *jobs = out;
    return rc;
}

void dispatch_note_job(struct dispatcher *d, const char *job_id)
{
    if (!d->once)
        return;
    pthread_mutex_lock(&d->mu);
    json_object_set_new(d->once_jobs, job_id, json_true());
    pthread_mutex_unlock(&d->mu);
}

/* Not an event the host can route: why, or NULL. */
static const char *event_problem(const json_t *event, size_t *size)
{
    *size = 0;
    if (!json_is_object(event))
        return "the event is not a JSON object";
    json_t *id = json_object_get(event, "id");
    if (id == NULL || !json_is_string(id) || json_string_length(id) == 0)
        return "the event has no id (a non-empty string)";
    static const char *const strings[] = {"source", "type", "time", "title"};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        json_t *v = json_object_get(event, strings[i]);
        if (v != NULL && !json_is_string(v) && !json_is_null(v))
            return "a field of the event has the wrong type (source, type, time, title: strings)";
    }
    *size = json_dumpb(event, NULL, 0, JSON_COMPACT);
    if (*size > EVENT_MAX_BYTES)
        return "the event is larger than 1 MiB";
    return NULL;
}

int dispatch_emit_event(void *arg, const char *instance, const json_t *event, char *err,
                        size_t errlen)
{
    struct dispatcher *d = arg;
    size_t size;
    const char *problem = event_problem(event, &size);
    if (problem != NULL) {
        char *text = json_is_object(event) && size <= EVENT_MAX_BYTES
                         ? json_dumps(event, JSON_COMPACT) : NULL;
        char qerr[256];
        if (journal_quarantine(d->journal, instance, text ? text : "", text ? strlen(text) : 0,
                               problem, qerr, sizeof qerr) != 0)
            log_error("quarantine: %s", qerr);
        free(text);
        dispatch_metrics_count(d->metrics, "nbsoar_events_quarantined_total", NULL, NULL, 1);
        log_warn("event from %s quarantined: %s", instance, problem);
        snprintf(err, errlen, "%s", problem);
        return NBSOAR_ERROR;
    }
    struct journal_job_in *jobs = NULL;
    size_t n = 0;
    pthread_mutex_lock(&d->mu);
    int rc = dispatch_match_event(d, event, &jobs, &n, err, errlen);
    pthread_mutex_unlock(&d->mu);
    if (rc != 0) {
        char *text = json_dumps(event, JSON_COMPACT), qerr[256];
        if (journal_quarantine(d->journal, instance, text ? text : "", text ? strlen(text) : 0,
                               err, qerr, sizeof qerr) != 0)
            log_error("quarantine: %s", qerr);
        free(text);
        log_warn("event from %s quarantined: %s", instance, err);
        dispatch_free_job_ins(jobs, n);
        return NBSOAR_ERROR;
    }
    char (*ids)[JOURNAL_ID_SIZE] = calloc(n ? n : 1, JOURNAL_ID_SIZE);
    enum journal_add_rc arc = ids ? journal_add_event(d->journal, instance, event, jobs, n, NULL,
                                                      ids, err, errlen)
                                  : JOURNAL_ERROR;
    dispatch_free_job_ins(jobs, n);
    if (arc == JOURNAL_INSERTED) {
        for (size_t i = 0; i < n; i++)
            dispatch_note_job(d, ids[i]);
        dispatch_metrics_count(d->metrics, "nbsoar_events_total", "source", instance, 1);
        if (n == 0)
            log_info("event %s from %s matched no route",
                     json_string_value(json_object_get(event, "id")), instance);
        pthread_mutex_lock(&d->mu);
        d->work_gen++;
        pthread_cond_broadcast(&d->work_cv);
        pthread_mutex_unlock(&d->mu);
    }
    free(ids);
    /* A journal that cannot write now may later: the source keeps the event. */
    return arc == JOURNAL_ERROR ? NBSOAR_RETRY : NBSOAR_OK;
}

int dispatch_cursor_get(void *arg, const char *instance, const char *key, char **value)
{
    struct dispatcher *d = arg;
    char err[256];
    if (journal_cursor_get(d->journal, instance, key, value, err, sizeof err) != 0) {
        log_error("%s", err);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

int dispatch_cursor_set(void *arg, const char *instance, const char *key, const char *value)
{
    struct dispatcher *d = arg;
    char err[256];
    if (journal_cursor_set(d->journal, instance, key, value, err, sizeof err) != 0) {
        log_error("%s", err);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}
