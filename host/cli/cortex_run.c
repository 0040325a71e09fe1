/* Every notebook of the job at once: one thread each, each calling the
 * executor's run(), which starts a fresh kernel per job.  The Python
 * responder ran them one after another (and, remotely, on one shared
 * kernel whose state leaked between notebooks). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cortex.h"
#include "redact.h"

struct worker {
    struct plugin_instance *exec;
    struct cortex_nb *nb;
    const json_t *params, *options;
    char job_id[32];
};

static void *run_one(void *arg)
{
    struct worker *w = arg;
    struct nbsoar_job job = {
        .id = w->job_id,
        .notebook = w->nb->input,
        .output = w->nb->output,
        .parameters = w->params,
        .options = w->options,
        .attempt = 1,
    };
    struct nbsoar_run_result res = {0};
    plugin_instance_run(w->exec, &job, &res);
    w->nb->status = (int)res.status;
    w->nb->duration_s = res.duration_s;
    if (res.status != NBSOAR_JOB_SUCCEEDED)
        w->nb->error = redact_dup(res.error ? res.error : "the executor gave no reason");
    w->nb->operations = res.operations ? res.operations : json_array();
    w->nb->taxonomies = res.taxonomies;
    if (res.output_link && !w->nb->output_link)
        w->nb->output_link = res.output_link;
    else
        free(res.output_link);
    if (res.output) {
        /* where the executor really wrote it (strftime applied) */
        free(w->nb->output);
        w->nb->output = res.output;
    }
    free(res.error);
    json_decref(res.details);
    return NULL;
}

void cortex_run_all(struct plugin_instance *exec, struct cortex_nb *nbs, size_t n, const json_t *params,
                    const json_t *options)
{
    struct worker *w = calloc(n, sizeof *w);
    pthread_t *tid = calloc(n, sizeof *tid);
    int *started = calloc(n, sizeof *started);
    for (size_t i = 0; i < n; i++) {
        if (!w || !tid || !started) {
            nbs[i].status = NBSOAR_JOB_ERROR;
            nbs[i].error = strdup("out of memory");
            nbs[i].operations = json_array();
            continue;
        }
        w[i] = (struct worker){.exec = exec, .nb = &nbs[i], .params = params, .options = options};
        snprintf(w[i].job_id, sizeof w[i].job_id, "cortex-%zu", i + 1);
        started[i] = pthread_create(&tid[i], NULL, run_one, &w[i]) == 0;
        if (!started[i])
            run_one(&w[i]); /* no thread to spare: run it here */
    }
    for (size_t i = 0; w && tid && started && i < n; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
    }
    free(w);
    free(tid);
    free(started);
}

void cortex_nb_free(struct cortex_nb *nb)
{
    free(nb->input);
    free(nb->output);
    free(nb->output_link);
    free(nb->error);
    json_decref(nb->operations);
    json_decref(nb->taxonomies);
    memset(nb, 0, sizeof *nb);
}
