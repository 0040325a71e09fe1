/* Dispatcher: construction from the config and teardown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_map.h"
#include "dispatch_internal.h"
#include "dispatch_output.h"
#include "log.h"

#define DEFAULT_OUTPUT_PATH "%Y-%m-%d/{route}/{notebook}-{event}-{job}.ipynb"

static const char *host_str(const json_t *host, const char *key)
{
    return json_string_value(json_object_get(host, key));
}

static long host_ms(const json_t *host, const char *key, long dflt)
{
    json_t *v = json_object_get(host, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

/* output_folder may hold placeholders itself ("out/%Y/{route}"): the part
 * before the first one is the folder, the rest joins the template. */
static int split_output(struct dispatcher *d, char *err, size_t errlen)
{
    const char *folder = host_str(d->host, "output_folder");
    const char *tmpl = host_str(d->host, "output_path");
    char *resolved = conf_resolve_path(d->conf, folder ? folder : "outputs");
    if (resolved == NULL)
        return -1;
    size_t first = strcspn(resolved, "%{");
    if (resolved[first] != '\0') {
        char *cut = memrchr(resolved, '/', first);
        if (cut == NULL || cut == resolved) {
            snprintf(err, errlen, "[host] output_folder: '%s' needs a folder before its "
                                  "placeholders", folder);
            free(resolved);
            return -1;
        }
        *cut = '\0';
        if (asprintf(&d->output_template, "%s/%s", cut + 1, tmpl ? tmpl : DEFAULT_OUTPUT_PATH) < 0)
            d->output_template = NULL;
    } else {
        d->output_template = strdup(tmpl ? tmpl : DEFAULT_OUTPUT_PATH);
    }
    d->output_folder = resolved;
    if (d->output_template == NULL)
        return -1;
    char probe_err[256];
    char *probe = dispatch_output_path(d->output_folder, d->output_template, 0, "r", "n", "e",
                                       "j", probe_err, sizeof probe_err);
    if (probe == NULL) {
        snprintf(err, errlen, "[host] %s", probe_err);
        return -1;
    }
    free(probe);
    return 0;
}

struct dispatcher *dispatch_new(const struct conf *conf, const json_t *host, int once,
                                char *err, size_t errlen)
{
    struct dispatcher *d = calloc(1, sizeof *d);
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->conf = conf;
    d->host = host;
    d->once = once;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->work_cv, NULL);
    pthread_cond_init(&d->ops_cv, NULL);
    d->hooks = (struct host_event_hooks){d, dispatch_emit_event, dispatch_cursor_get,
                                         dispatch_cursor_set};
    d->once_jobs = json_object();
    d->metrics = dispatch_metrics_new();
    json_t *w = json_object_get(host, "workers");
    d->n_workers = json_is_integer(w) ? (int)json_integer_value(w) : 2;
    d->drain_ms = host_ms(host, "drain_timeout", 30000);
    d->once_horizon_ms = host_ms(host, "once_horizon", 5000);
    if (split_output(d, err, errlen) != 0)
        goto fail;
    d->routes = dispatch_build_routes(conf, err, errlen);
    if (d->routes == NULL || (d->matcher = route_matcher_new(d->routes)) == NULL)
        goto fail;
    const char *jpath = host_str(host, "journal");
    char *path = conf_resolve_path(conf, jpath ? jpath : "nbsoar.journal");
    const char *sync = host_str(host, "journal_sync");
    struct journal_options jo = {.sync = JOURNAL_SYNC_FULL};
    if (sync != NULL && strcmp(sync, "normal") == 0)
        jo.sync = JOURNAL_SYNC_NORMAL;
    else if (sync != NULL && strcmp(sync, "full") != 0) {
        snprintf(err, errlen, "[host] journal_sync: '%s' is not full or normal", sync);
        free(path);
        goto fail;
    }
    if (path != NULL && dispatch_mkdirs_for(path, err, errlen) == 0)
        d->journal = journal_open(path, &jo, err, errlen);
    free(path);
    if (d->journal == NULL)
        goto fail;
    return d;
fail:
    dispatch_free(d);
    return NULL;
}

const struct host_event_hooks *dispatch_hooks(struct dispatcher *d)
{
    return &d->hooks;
}

static int grow(void **arr, size_t n, size_t size)
{
    void *g = realloc(*arr, (n + 1) * size);
    if (g == NULL)
        return -1;
    *arr = g;
    return 0;
}

int dispatch_add_instance(struct dispatcher *d, enum conf_kind kind, struct plugin_instance *inst,
                          char *err, size_t errlen)
{
    const struct conf_section *sec = conf_find(d->conf, kind, inst->name);
    const char *interval = sec ? conf_get(sec, "interval") : NULL;
    const char *rate = sec ? conf_get(sec, "rate") : NULL;
    if (kind == CONF_SOURCE) {
        long long ms = 5000;
        if (interval != NULL && (config_parse_duration_ms(interval, &ms) != 0 || ms < 1)) {
            snprintf(err, errlen, "[source %s] interval: '%s' is not a duration", inst->name,
                     interval);
            return -1;
        }
        if (grow((void **)&d->sources, d->n_sources, sizeof *d->sources) != 0)
            return -1;
        d->sources[d->n_sources++] = (struct dispatch_source){inst, (long)ms, 0};
    } else if (kind == CONF_EXECUTOR) {
        if (grow((void **)&d->executors, d->n_executors, sizeof *d->executors) != 0)
            return -1;
        d->executors[d->n_executors++] = inst;
    } else if (kind == CONF_SINK) {
        double per_s = 0;
        if (rate != NULL && dispatch_parse_rate(rate, &per_s) != 0) {
            snprintf(err, errlen, "[sink %s] rate: '%s' is not N/s, N/m or N/h", inst->name,
                     rate);
            return -1;
        }
        if (grow((void **)&d->sinks, d->n_sinks, sizeof *d->sinks) != 0)
            return -1;
        d->sinks[d->n_sinks++] = (struct dispatch_sink){.d = d, .inst = inst, .rate_per_s = per_s};
    }
    return 0;
}

void dispatch_free(struct dispatcher *d)
{
    /* workers still inside the executor after a drain deadline: the process
     * is about to exit, and freeing what they use would crash them first */
    if (d == NULL || d->threads_live)
        return;
    journal_close(d->journal);
    route_matcher_free(d->matcher);
    route_table_free(d->routes);
    free(d->sources);
    free(d->executors);
    free(d->sinks);
    free(d->workers);
    free(d->output_folder);
    free(d->output_template);
    json_decref(d->once_jobs);
    dispatch_metrics_free(d->metrics);
    pthread_cond_destroy(&d->work_cv);
    pthread_cond_destroy(&d->ops_cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
