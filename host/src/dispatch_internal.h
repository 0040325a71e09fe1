/* Private to dispatch*.c: the dispatcher's state. */
#ifndef NBSOAR_DISPATCH_INTERNAL_H
#define NBSOAR_DISPATCH_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include "dispatch.h"
#include "dispatch_metrics.h"
#include "journal.h"
#include "route_match.h"

struct dispatch_source {
    struct plugin_instance *inst;     /* borrowed */
    long interval_ms;
    int64_t next_poll_ms;
};

struct dispatch_sink {
    struct dispatcher *d;
    struct plugin_instance *inst;     /* borrowed */
    double rate_per_s;                /* 0: unlimited */
    int64_t next_slot_ms;             /* rate limit: earliest next apply */
    pthread_t thread;
    int started;
};

struct dispatcher {
    const struct conf *conf;          /* borrowed; routes are reloaded from conf->path */
    const json_t *host;               /* borrowed */
    int once;
    struct journal *journal;          /* OWNED */
    struct host_event_hooks hooks;

    pthread_mutex_t mu;               /* guards routes, the queues' wake-ups, once_jobs */
    pthread_cond_t work_cv;           /* jobs may be claimable */
    pthread_cond_t ops_cv;            /* operations may be claimable */
    unsigned long work_gen, ops_gen;  /* bumped under mu with each broadcast */
    struct route_table *routes;       /* OWNED; swapped on SIGHUP */
    struct route_matcher *matcher;    /* OWNED; used under mu */

    struct dispatch_source *sources;  /* OWNED array */
    size_t n_sources;
    struct plugin_instance **executors; /* OWNED array of borrowed instances */
    size_t n_executors;
    struct dispatch_sink *sinks;      /* OWNED array */
    size_t n_sinks;

    int n_workers;
    pthread_t *workers;               /* OWNED */
    size_t n_started_workers;
    atomic_int running_jobs;
    atomic_int stop_taking;           /* drain: workers take no new job */
    atomic_int stop_sinks;
    int threads_live;                 /* drain gave up: workers still use the dispatcher */

    char *output_folder;              /* OWNED, resolved */
    char *output_template;            /* OWNED */
    long drain_ms, once_horizon_ms;

    json_t *once_jobs;                /* OWNED: job ids made or run by this process (--once table) */
    struct dispatch_metrics *metrics; /* OWNED */
};

int64_t dispatch_now_ms(void);      /* CLOCK_REALTIME ms, the journal's clock */
int64_t dispatch_mono_ms(void);

/* dispatch_events.c */
int dispatch_emit_event(void *arg, const char *instance, const json_t *event, char *err,
                        size_t errlen);
int dispatch_cursor_get(void *arg, const char *instance, const char *key, char **value);
int dispatch_cursor_set(void *arg, const char *instance, const char *key, const char *value);
/* Rebuilds routes from conf->path (SIGHUP); the old table stays on error. */
int dispatch_reload_routes(struct dispatcher *d, char *err, size_t errlen);
/* Builds the route table from a conf; NULL with every problem in err. */
struct route_table *dispatch_build_routes(const struct conf *conf, char *err, size_t errlen);
/* Job inputs for the routes an event matched.  *jobs and the params it
 * holds are OWNED by the caller (dispatch_free_job_ins).  Caller holds mu. */
int dispatch_match_event(struct dispatcher *d, const json_t *event, struct journal_job_in **jobs,
                         size_t *n_jobs, char *err, size_t errlen);
/* A route's notebook as an absolute path (relative ones are relative to
 * the config), so the daemon's cwd does not matter.  OWNED: free(). */
char *dispatch_notebook_path(const struct conf *conf, const char *notebook);
void dispatch_free_job_ins(struct journal_job_in *jobs, size_t n);
void dispatch_note_job(struct dispatcher *d, const char *job_id);

/* dispatch_workers.c */
int dispatch_workers_start(struct dispatcher *d);
void dispatch_workers_join(struct dispatcher *d);

/* dispatch_sinks.c */
int dispatch_sinks_start(struct dispatcher *d);
void dispatch_sinks_join(struct dispatcher *d);
/* dispatch_check.c: every problem `nbsoar run` would meet in c's routes,
 * the sections they name and sink rates, into d. */
void dispatch_check_conf(const struct conf *c, struct diags *d);

/* "10/s", "600/m", "5/h", or a bare number per second -> per second. */
int dispatch_parse_rate(const char *text, double *per_s);

/* dispatch_report.c: the --once table; returns 0 when every job succeeded. */
int dispatch_report(struct dispatcher *d, FILE *out);

#include "journal_brief.h"
#endif
