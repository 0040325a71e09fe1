/* Dispatcher: the sinks.  One thread per sink instance claims that sink's
 * pending operations in order, applies them and marks them applied only
 * after the sink said OK.  RETRY puts the operation back with exponential
 * backoff; ERROR (or too many tries) fails it.  A sink's rate (`rate =
 * 10/s`) spaces applies out: work waits, nothing is dropped.  Each sink
 * gets the operation with its "idempotency_key" ("<job id>:<index>") set,
 * so a sink that can deduplicate does after a crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dispatch_internal.h"
#include "log.h"

#define IDLE_WAIT_MS 200
#define OP_MAX_ATTEMPTS 8
#define OP_BACKOFF_MS 1000
#define OP_BACKOFF_MAX_MS 300000

int dispatch_parse_rate(const char *text, double *per_s)
{
    char *end;
    errno = 0;
    double n = strtod(text, &end);
    if (errno != 0 || end == text || !(n > 0) || n > 1e9)
        return -1;
    while (*end == ' ')
        end++;
    double per = 1;
    if (*end == '/') {
        end++;
        while (*end == ' ')
            end++;
        if (strcmp(end, "s") == 0 || strcmp(end, "sec") == 0)
            per = 1;
        else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
            per = 60;
        else if (strcmp(end, "h") == 0)
            per = 3600;
        else
            return -1;
    } else if (*end != '\0') {
        return -1;
    }
    *per_s = n / per;
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        continue;
}

static void wait_for_ops(struct dispatcher *d, unsigned long seen_gen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += IDLE_WAIT_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->mu);
    while (d->ops_gen == seen_gen && !atomic_load(&d->stop_sinks))
        if (pthread_cond_timedwait(&d->ops_cv, &d->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&d->mu);
}

/* Waits for the sink's next slot under its rate. */
static void take_slot(struct dispatch_sink *s)
{
    if (s->rate_per_s <= 0)
        return;
    int64_t now = dispatch_mono_ms();
    if (s->next_slot_ms > now)
        sleep_ms((long)(s->next_slot_ms - now));
    int64_t base = s->next_slot_ms > now ? s->next_slot_ms : now;
    s->next_slot_ms = base + (int64_t)(1000.0 / s->rate_per_s);
}

static void apply_one(struct dispatch_sink *s, struct journal_op *op)
{
    struct dispatcher *d = s->d;
    char err[512];
    struct journal_brief b;
    if (journal_job_brief(d->journal, op->job_id, &b, err, sizeof err) < 0)
        log_error("%s", err);
    struct nbsoar_job job = {
        .id = op->job_id,
        .event_id = b.event_id,
        .route = b.route,
        .notebook = b.notebook,
        .output = b.output,
        .attempt = op->attempt,
    };
    json_t *body = json_deep_copy(op->body);
    char key[JOURNAL_ID_SIZE + 24];
    snprintf(key, sizeof key, "%s:%d", op->job_id, op->index);
    json_object_set_new(body, "idempotency_key", json_string(key));
    json_t *result = NULL;
    take_slot(s);
    int rc = plugin_instance_apply(s->inst, body, &job, &result);
    json_decref(body);
    if (rc == NBSOAR_OK) {
        if (journal_operation_applied(d->journal, op->key, s->inst->name, result, err,
                                      sizeof err) != 0)
            log_error("%s", err);
        dispatch_metrics_count(d->metrics, "nbsoar_operations_total", "status", "applied", 1);
        if (b.received_at > 0)
            dispatch_metrics_observe(d->metrics, "nbsoar_event_to_operation_seconds",
                                     (double)(dispatch_now_ms() - b.received_at) / 1000.0);
    } else {
        const char *why = json_string_value(json_object_get(result, "error"));
        if (why == NULL)
            why = s->inst->last_error ? s->inst->last_error : "the sink refused the operation";
        int64_t retry_at = 0;
        if (rc == NBSOAR_RETRY && op->attempt < OP_MAX_ATTEMPTS)
            retry_at = dispatch_now_ms() +
                       journal_backoff_ms(op->attempt, OP_BACKOFF_MS, OP_BACKOFF_MAX_MS,
                                          (double)rand() / ((double)RAND_MAX + 1.0));
        if (journal_operation_failed(d->journal, op->key, s->inst->name, why, retry_at, err,
                                     sizeof err) != 0)
            log_error("%s", err);
        log_warn("operation %s (%s) on sink %s: %s%s", op->key, op->type, s->inst->name, why,
                 retry_at ? "; will retry" : "");
        dispatch_metrics_count(d->metrics, "nbsoar_operations_total", "status",
                               retry_at ? "retry" : "failed", 1);
    }
    json_decref(result);
    journal_brief_clear(&b);
}

static void *sink_main(void *arg)
{
    struct dispatch_sink *s = arg;
    struct dispatcher *d = s->d;
    char err[512];
    while (!atomic_load(&d->stop_sinks)) {
        pthread_mutex_lock(&d->mu);
        unsigned long gen = d->ops_gen;
        pthread_mutex_unlock(&d->mu);
        struct journal_op op;
        memset(&op, 0, sizeof op);
        int got = journal_claim_operation(d->journal, s->inst->name, &op, err, sizeof err);
        if (got <= 0) {
            if (got < 0)
                log_error("claim operation: %s", err);
            wait_for_ops(d, gen);
            continue;
        }
        apply_one(s, &op);
        journal_op_clear(&op);
    }
    return NULL;
}

int dispatch_sinks_start(struct dispatcher *d)
{
    for (size_t i = 0; i < d->n_sinks; i++) {
        d->sinks[i].d = d;
        if (pthread_create(&d->sinks[i].thread, NULL, sink_main, &d->sinks[i]) != 0)
            return -1;
        d->sinks[i].started = 1;
    }
    return 0;
}

void dispatch_sinks_join(struct dispatcher *d)
{
    for (size_t i = 0; i < d->n_sinks; i++)
        if (d->sinks[i].started) {
            pthread_join(d->sinks[i].thread, NULL);
            d->sinks[i].started = 0;
        }
}
