/* Dispatcher: the workers.  Each claims a job from the journal, runs the
 * executor on it, and ends it in the journal together with its operations
 * (or schedules a retry).  The executor enforces job->timeout_ms (the
 * jupyter plugin interrupts, then kills the kernel's process group). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch_internal.h"
#include "dispatch_output.h"
#include "log.h"

/* How long an idle worker sleeps before looking again without a wake-up. */
#define IDLE_WAIT_MS 500

int64_t dispatch_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dispatch_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_result(struct nbsoar_run_result *r)
{
    free(r->output);
    free(r->output_link);
    free(r->error);
    json_decref(r->operations);
    json_decref(r->taxonomies);
    json_decref(r->details);
}

static struct plugin_instance *find_executor(struct dispatcher *d, const char *name)
{
    for (size_t i = 0; i < d->n_executors; i++)
        if (name == NULL || strcmp(d->executors[i]->name, name) == 0)
            return d->executors[i];
    return NULL;
}

/* What the job needs from its route now (the table may have been reloaded). */
struct job_plan {
    struct plugin_instance *executor;
    json_t *params;            /* OWNED */
    long timeout_ms;
    char **sinks;              /* OWNED copies; NULL: every sink */
    size_t n_sinks;
};

static void plan_clear(struct job_plan *p)
{
    json_decref(p->params);
    for (size_t i = 0; i < p->n_sinks; i++)
        free(p->sinks[i]);
    free(p->sinks);
}

static int plan_job(struct dispatcher *d, const struct journal_job *job, struct job_plan *p,
                    char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_lock(&d->mu);
    const struct route *r = NULL;
    for (size_t i = 0; job->route && i < route_table_count(d->routes); i++)
        if (strcmp(route_table_get(d->routes, i)->name, job->route) == 0)
            r = route_table_get(d->routes, i);
    int rc = 0;
    if (r != NULL) {
        p->timeout_ms = r->timeout_ms;
        p->executor = find_executor(d, r->executor);
        if (r->executor != NULL && p->executor == NULL) {
            snprintf(err, errlen, "route %s names executor '%s', which is not configured",
                     r->name, r->executor);
            rc = -1;
        }
        if (rc == 0 && route_params_build(r, job->event, &p->params, err, errlen) != 0)
            rc = -1;
        if (r->n_sinks > 0 && (p->sinks = calloc(r->n_sinks, sizeof *p->sinks)) != NULL) {
            for (size_t i = 0; i < r->n_sinks; i++)
                p->sinks[i] = strdup(r->sinks[i]);
            p->n_sinks = r->n_sinks;
        }
    } else {
        /* the route is gone since the job was made: what was stored */
        p->executor = find_executor(d, NULL);
        p->params = json_incref(job->parameters);
    }
    pthread_mutex_unlock(&d->mu);
    if (rc == 0 && p->executor == NULL) {
        snprintf(err, errlen, "no executor is configured");
        rc = -1;
    }
    return rc;
}

static int sink_wanted(const struct job_plan *p, const char *name)
{
    if (p->sinks == NULL)
        return 1;
    for (size_t i = 0; i < p->n_sinks; i++)
        if (strcmp(p->sinks[i], name) == 0)
            return 1;
    return 0;
}

/* Sinks that name JobFinished among their operations ("*" does not count:
 * a catch-all sink such as file gets only what notebooks emit). */
static int wants_job_finished(const struct plugin_instance *sink)
{
    const char *const *ops = sink->plugin->def.operations;
    for (size_t i = 0; ops != NULL && ops[i] != NULL; i++)
        if (strcmp(ops[i], "JobFinished") == 0)
            return 1;
    return 0;
}

/* The operation the dispatcher hands notify sinks when a job ends (see
 * plugins/notify/notify.h).  OWNED by the caller. */
static json_t *job_finished_op(const struct journal_job *job, const char *status,
                               const char *output, const char *link, const char *error,
                               double seconds)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:f}", "id", job->id, "status", status,
                          "notebook", job->notebook, "attempt", job->attempt, "duration_s",
                          seconds);
    if (job->route)
        json_object_set_new(j, "route", json_string(job->route));
    if (job->event_id)
        json_object_set_new(j, "event_id", json_string(job->event_id));
    const char *title = json_string_value(json_object_get(job->event, "title"));
    if (title)
        json_object_set_new(j, "event_title", json_string(title));
    if (output)
        json_object_set_new(j, "output", json_string(output));
    if (link)
        json_object_set_new(j, "output_link", json_string(link));
    if (error)
        json_object_set_new(j, "error", json_string(error));
    return json_pack("{s:s, s:o}", "type", "JobFinished", "job", j);
}

/* Appends one JobFinished per notify sink at index `index`. */
static size_t add_job_finished(struct dispatcher *d, const json_t *op, int index,
                               struct journal_op_in *out, size_t n)
{
    for (size_t s = 0; s < d->n_sinks; s++)
        if (wants_job_finished(d->sinks[s].inst))
            out[n++] = (struct journal_op_in){index, d->sinks[s].inst->name, op};
    return n;
}

/* One journal_op_in per (operation, sink that takes its type), room left
 * for the JobFinished ones.  *out OWNED. */
static size_t route_operations(struct dispatcher *d, const struct job_plan *p, const json_t *ops,
                               struct journal_op_in **out)
{
    size_t n = 0, cap = (json_array_size(ops) + 1) * (d->n_sinks ? d->n_sinks : 1);
    *out = calloc(cap ? cap : 1, sizeof **out);
    if (*out == NULL)
        return 0;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *type = json_string_value(json_object_get(op, "type"));
        for (size_t s = 0; type != NULL && s < d->n_sinks; s++) {
            struct plugin_instance *sink = d->sinks[s].inst;
            if (sink_wanted(p, sink->name) && plugin_accepts_operation(sink->plugin, type))
                (*out)[n++] = (struct journal_op_in){(int)i, sink->name, op};
        }
    }
    return n;
}

static void end_job(struct dispatcher *d, const struct journal_job *job, const struct job_plan *p,
                    const char *sha, const char *output, struct nbsoar_run_result *res, int rc,
                    double seconds)
{
    char err[512];
    const char *outcome = json_string_value(json_object_get(res->details, "outcome"));
    int timed_out = outcome != NULL && strcmp(outcome, "timeout") == 0;
    /* An executor that could not run the notebook (kernel died, could not
     * start) or asked for it is retried; a notebook that raised or ran past
     * its timeout has failed, and running it again would do the same. */
    int transient = rc == NBSOAR_RETRY || (res->status == NBSOAR_JOB_ERROR && !timed_out);
    if (transient) {
        int dead = 0;
        int64_t next = 0;
        const char *why = res->error ? res->error : "the executor failed";
        if (journal_schedule_retry(d->journal, job->id, why, &dead, &next, err, sizeof err) != 0)
            log_error("job %s: %s", job->id, err);
        log_warn("job %s (%s, attempt %d): %s; %s", job->id, job->notebook, job->attempt, why,
                 dead ? "no retries left: dead" : "will retry");
        if (dead) {
            json_t *jf = job_finished_op(job, "dead", output, NULL, why, seconds);
            struct journal_op_in jops[16];
            size_t n = add_job_finished(d, jf, 0, jops, 0);
            if (n > 0 && n <= 16 &&
                journal_add_operations(d->journal, job->id, jops, n, err, sizeof err) != 0)
                log_error("job %s: %s", job->id, err);
            json_decref(jf);
        }
        dispatch_metrics_count(d->metrics, "nbsoar_jobs_total", "status",
                               dead ? "dead" : "retry", 1);
        return;
    }
    struct journal_op_in *ops = NULL;
    size_t n_ops = 0;
    int ok = res->status == NBSOAR_JOB_SUCCEEDED && rc == NBSOAR_OK;
    n_ops = route_operations(d, p, ok ? res->operations : NULL, &ops);
    char timeout_msg[128];
    json_int_t start_limit = json_integer_value(json_object_get(res->details, "start_timeout_ms"));
    if (timed_out && start_limit > 0)
        snprintf(timeout_msg, sizeof timeout_msg, "timed out: the kernel did not start within %lld ms",
                 (long long)start_limit);
    else if (timed_out)
        snprintf(timeout_msg, sizeof timeout_msg, "timed out after %ld ms: the kernel was stopped",
                 p->timeout_ms);
    json_t *jf = job_finished_op(job, ok ? "succeeded" : timed_out ? "timeout" : "failed",
                                 res->output ? res->output : output, res->output_link,
                                 ok ? NULL : timed_out ? timeout_msg : res->error, seconds);
    if (ops != NULL)
        n_ops = add_job_finished(d, jf, (int)json_array_size(ok ? res->operations : NULL), ops,
                                 n_ops);
    struct journal_job_result jr = {
        .status = ok ? JOURNAL_JOB_SUCCEEDED : JOURNAL_JOB_FAILED,
        .notebook_sha256 = sha[0] ? sha : NULL,
        .output = res->output ? res->output : output,
        .output_link = res->output_link,
        .error = ok ? NULL : timed_out ? timeout_msg : res->error ? res->error : "failed",
        .ops = ops,
        .n_ops = n_ops,
    };
    if (journal_finish_job(d->journal, job->id, &jr, err, sizeof err) != 0)
        log_error("job %s: %s", job->id, err);
    free(ops);
    json_decref(jf);
    if (!ok)
        log_warn("job %s (%s) failed: %s", job->id, job->notebook, jr.error);
    dispatch_metrics_count(d->metrics, "nbsoar_jobs_total", "status", ok ? "succeeded" : "failed",
                           1);
    dispatch_metrics_observe(d->metrics, "nbsoar_job_duration_seconds", seconds);
    if (n_ops > 0) {
        pthread_mutex_lock(&d->mu);
        d->ops_gen++;
        pthread_cond_broadcast(&d->ops_cv);
        pthread_mutex_unlock(&d->mu);
    }
}

static void run_job(struct dispatcher *d, struct journal_job *job)
{
    char err[1024] = "";
    struct job_plan plan;
    char sha[65] = "";
    char *output = NULL;
    dispatch_note_job(d, job->id);
    int64_t t0 = dispatch_mono_ms();
    if (plan_job(d, job, &plan, err, sizeof err) != 0 ||
        !(output = dispatch_output_path(d->output_folder, d->output_template,
                                        dispatch_now_ms() / 1000, job->route, job->notebook,
                                        job->event_id, job->id, err, sizeof err)) ||
        dispatch_mkdirs_for(output, err, sizeof err) != 0) {
        /* a config problem: the job fails with the reason instead of looping */
        struct nbsoar_run_result res = {.status = NBSOAR_JOB_FAILED, .error = strdup(err)};
        end_job(d, job, &plan, sha, output, &res, NBSOAR_ERROR, 0);
        free_result(&res);
        plan_clear(&plan);
        free(output);
        return;
    }
    if (dispatch_file_sha256(job->notebook, sha) != 0)
        sha[0] = '\0';
    struct nbsoar_job nj = {
        .id = job->id,
        .event_id = job->event_id,
        .route = job->route,
        .notebook = job->notebook,
        .output = output,
        .event = job->event,
        .parameters = plan.params,
        .timeout_ms = plan.timeout_ms,
        .attempt = job->attempt,
    };
    struct nbsoar_run_result res;
    memset(&res, 0, sizeof res);
    log_debug("job %s: %s attempt %d", job->id, job->notebook, job->attempt);
    int rc = plugin_instance_run(plan.executor, &nj, &res);
    double seconds = (double)(dispatch_mono_ms() - t0) / 1000.0;
    end_job(d, job, &plan, sha, output, &res, rc, seconds);
    free_result(&res);
    plan_clear(&plan);
    free(output);
}

/* Sleeps until a wake-up, the next due retry or IDLE_WAIT_MS. */
static void wait_for_work(struct dispatcher *d, unsigned long seen_gen)
{
    int64_t due = 0, now = dispatch_now_ms();
    char err[256];
    long wait = IDLE_WAIT_MS;
    if (journal_next_due(d->journal, &due, err, sizeof err) == 1 && due - now < wait)
        wait = due > now ? (long)(due - now) : 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += wait / 1000;
    ts.tv_nsec += (wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->mu);
    while (d->work_gen == seen_gen && !atomic_load(&d->stop_taking))
        if (pthread_cond_timedwait(&d->work_cv, &d->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&d->mu);
}

static void *worker_main(void *arg)
{
    struct dispatcher *d = arg;
    char err[512];
    while (!atomic_load(&d->stop_taking)) {
        pthread_mutex_lock(&d->mu);
        unsigned long gen = d->work_gen;
        pthread_mutex_unlock(&d->mu);
        struct journal_job job;
        memset(&job, 0, sizeof job);
        atomic_fetch_add(&d->running_jobs, 1);
        int got = journal_claim_job(d->journal, &job, err, sizeof err);
        if (got <= 0) {
            atomic_fetch_sub(&d->running_jobs, 1);
            if (got < 0)
                log_error("claim: %s", err);
            wait_for_work(d, gen);
            continue;
        }
        run_job(d, &job);
        journal_job_clear(&job);
        atomic_fetch_sub(&d->running_jobs, 1);
    }
    return NULL;
}

int dispatch_workers_start(struct dispatcher *d)
{
    d->workers = calloc((size_t)d->n_workers, sizeof *d->workers);
    if (d->workers == NULL)
        return -1;
    for (int i = 0; i < d->n_workers; i++) {
        if (pthread_create(&d->workers[i], NULL, worker_main, d) != 0)
            return -1;
        d->n_started_workers++;
    }
    return 0;
}

void dispatch_workers_join(struct dispatcher *d)
{
    for (size_t i = 0; i < d->n_started_workers; i++)
        pthread_join(d->workers[i], NULL);
    d->n_started_workers = 0;
}
