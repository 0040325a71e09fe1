/* Dispatcher: the main loop.  Polls sources on their intervals, handles
 * signals (SIGTERM/SIGINT drain, SIGHUP reloads routes), and in --once mode
 * stops when nothing runnable is left. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch_internal.h"
#include "log.h"

#define MAX_SIGNAL_WAIT_MS 100
#define ONCE_MAX_POLLS 10000

/* Polls one source; returns how many events the journal gained. */
static long poll_source(struct dispatcher *d, struct dispatch_source *s)
{
    struct journal_stats before, after;
    char err[256];
    int have = journal_stats(d->journal, &before, err, sizeof err) == 0;
    if (plugin_instance_poll(s->inst) != NBSOAR_OK)
        log_warn("source %s: poll failed%s%s", s->inst->name, s->inst->last_error ? ": " : "",
                 s->inst->last_error ? s->inst->last_error : "");
    if (!have || journal_stats(d->journal, &after, err, sizeof err) != 0)
        return 0;
    return (after.events - before.events) + (after.quarantined - before.quarantined);
}

/* --once: every source until a poll brings nothing new. */
static void poll_all_once(struct dispatcher *d)
{
    for (size_t i = 0; i < d->n_sources; i++)
        for (int n = 0; n < ONCE_MAX_POLLS && poll_source(d, &d->sources[i]) > 0; n++)
            continue;
}

static void poll_due(struct dispatcher *d, int64_t now)
{
    for (size_t i = 0; i < d->n_sources; i++) {
        struct dispatch_source *s = &d->sources[i];
        if (s->next_poll_ms > now)
            continue;
        plugin_instance_poll(s->inst);
        s->next_poll_ms = dispatch_mono_ms() + s->interval_ms;
    }
}

static long until_next_poll(struct dispatcher *d, int64_t now)
{
    long wait = MAX_SIGNAL_WAIT_MS;
    for (size_t i = 0; i < d->n_sources; i++) {
        long left = (long)(d->sources[i].next_poll_ms - now);
        if (left < wait)
            wait = left < 0 ? 0 : left;
    }
    return wait;
}

/* --once: nothing runs, nothing is runnable within the horizon. */
static int once_idle(struct dispatcher *d)
{
    struct journal_stats st;
    char err[256];
    if (atomic_load(&d->running_jobs) > 0 || journal_stats(d->journal, &st, err, sizeof err) != 0)
        return 0;
    if (st.queued > 0 || st.running > 0 || st.ops_applying > 0)
        return 0;
    int64_t horizon = dispatch_now_ms() + d->once_horizon_ms, at = 0;
    if (st.retry_wait > 0 && journal_next_due(d->journal, &at, err, sizeof err) == 1 &&
        at <= horizon)
        return 0;
    if (st.ops_pending > 0 && journal_next_op_due(d->journal, &at, err, sizeof err) == 1 &&
        at <= horizon)
        return 0;
    return 1;
}

static void wake_all(struct dispatcher *d)
{
    pthread_mutex_lock(&d->mu);
    d->work_gen++;
    d->ops_gen++;
    pthread_cond_broadcast(&d->work_cv);
    pthread_cond_broadcast(&d->ops_cv);
    pthread_mutex_unlock(&d->mu);
}

static int wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);
    return sig < 0 ? 0 : sig;
}

/* Stops taking jobs, lets running ones finish until the drain deadline.
 * Returns 1 when every worker ended, 0 when some still run (their jobs
 * stay `running` and the next start re-queues them). */
static int drain(struct dispatcher *d, const sigset_t *set)
{
    atomic_store(&d->stop_taking, 1);
    wake_all(d);
    int64_t deadline = dispatch_mono_ms() + d->drain_ms;
    int running;
    while ((running = atomic_load(&d->running_jobs)) > 0 && dispatch_mono_ms() < deadline) {
        int sig = wait_signal(set, 50);
        if (sig == SIGINT || sig == SIGTERM)
            log_info("draining: %d job%s still running", running, running == 1 ? "" : "s");
    }
    if (running > 0) {
        log_warn("drain deadline passed with %d job%s running; they are re-queued at the next "
                 "start", running, running == 1 ? "" : "s");
        return 0;
    }
    /* let the sinks apply what the last jobs emitted, within the deadline */
    int64_t at;
    char err[128];
    while (dispatch_mono_ms() < deadline &&
           journal_next_op_due(d->journal, &at, err, sizeof err) == 1 && at <= dispatch_now_ms())
        wait_signal(set, 20);
    return 1;
}

int dispatch_run(struct dispatcher *d, const struct host_env *env, FILE *table_out)
{
    char err[1024];
    struct journal_recovery rec;
    if (journal_recover(d->journal, &rec, err, sizeof err) != 0) {
        log_error("%s", err);
        return 2;
    }
    if (rec.jobs_requeued || rec.jobs_dead || rec.ops_reset)
        log_info("recovered: %ld job%s re-queued, %ld dead, %ld operation%s to retry",
                 rec.jobs_requeued, rec.jobs_requeued == 1 ? "" : "s", rec.jobs_dead,
                 rec.ops_reset, rec.ops_reset == 1 ? "" : "s");
    const char *maddr = json_string_value(json_object_get(d->host, "metrics"));
    if (maddr != NULL && maddr[0] != '\0' &&
        dispatch_metrics_serve(d->metrics, maddr, env, err, sizeof err) != 0) {
        log_error("%s", err);
        return 2;
    }
    if (d->n_executors == 0) {
        log_error("no executor is configured");
        return 2;
    }
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old); /* threads inherit it: signals come to this loop */
    srand((unsigned)dispatch_now_ms());
    if (dispatch_workers_start(d) != 0 || dispatch_sinks_start(d) != 0) {
        log_error("cannot start the worker threads");
        atomic_store(&d->stop_taking, 1);
        atomic_store(&d->stop_sinks, 1);
        wake_all(d);
        dispatch_workers_join(d);
        dispatch_sinks_join(d);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return 2;
    }
    log_info("running: %zu source%s, %d worker%s, %zu sink%s", d->n_sources,
             d->n_sources == 1 ? "" : "s", d->n_workers, d->n_workers == 1 ? "" : "s", d->n_sinks,
             d->n_sinks == 1 ? "" : "s");
    if (d->once)
        poll_all_once(d);
    int joined = 1;
    for (;;) {
        int64_t now = dispatch_mono_ms();
        if (!d->once)
            poll_due(d, now);
        int sig = wait_signal(&set, d->once ? 50 : until_next_poll(d, dispatch_mono_ms()));
        if (sig == SIGHUP) {
            if (dispatch_reload_routes(d, err, sizeof err) == 0)
                log_info("SIGHUP: routes reloaded from %s", d->conf->path);
            else
                log_error("SIGHUP: %s", err);
        } else if (sig == SIGTERM || sig == SIGINT) {
            log_info("%s: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            joined = drain(d, &set);
            break;
        }
        if (d->once && once_idle(d))
            break;
    }
    atomic_store(&d->stop_taking, 1);
    atomic_store(&d->stop_sinks, 1);
    wake_all(d);
    int rc = 0;
    if (joined) {
        dispatch_workers_join(d);
        dispatch_sinks_join(d);
        if (d->once)
            rc = dispatch_report(d, table_out) == 0 ? 0 : 1;
    } else {
        d->threads_live = 1;
        rc = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
