/* Warm kernel pool (see kernel_pool.h): up to `size` refill threads start
 * kernels side by side until each kernelspec has `size` ready or starting,
 * and shut retired ones down.  Under load a start takes seconds, and one
 * start at a time let the pool run dry. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel_pool.h"

#define MAX_SPECS 8
#define MAX_SIZE 16
#define RETIRED_MAX 64
#define MAX_THREADS 4

struct spec {
    char *name;
    struct kernel *ready[MAX_SIZE];
    int n_ready;
    int n_starting;      /* being started by a refill thread */
    int failures;        /* consecutive start failures: back off */
};

struct kernel_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* refill threads: work to do */
    pthread_cond_t ready_cv; /* takers: a start ended */
    pthread_t threads[MAX_THREADS];
    int n_threads;
    int stop, size;
    char *cwd;
    char **env;
    long start_timeout_ms;
    struct spec specs[MAX_SPECS];
    int n_specs;
    struct kernel *retired[RETIRED_MAX];
    int n_retired;
};

static struct spec *spec_find(struct kernel_pool *p, const char *name, int add)
{
    for (int i = 0; i < p->n_specs; i++)
        if (strcmp(p->specs[i].name, name) == 0)
            return &p->specs[i];
    if (!add || p->n_specs == MAX_SPECS)
        return NULL;
    struct spec *s = &p->specs[p->n_specs];
    memset(s, 0, sizeof *s);
    if ((s->name = strdup(name)) == NULL)
        return NULL;
    p->n_specs++;
    return s;
}

/* The spec that most needs a kernel, or NULL; caller holds mu. */
static struct spec *spec_to_fill(struct kernel_pool *p)
{
    struct spec *best = NULL;
    for (int i = 0; i < p->n_specs; i++) {
        struct spec *s = &p->specs[i];
        int have = s->n_ready + s->n_starting;
        if (have < p->size && s->failures < 3 && (!best || have < best->n_ready + best->n_starting))
            best = s;
    }
    return best;
}

static void *refill_main(void *arg)
{
    struct kernel_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        if (p->n_retired > 0) {
            struct kernel *k = p->retired[--p->n_retired];
            pthread_mutex_unlock(&p->mu);
            k->ops->shutdown(k);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        struct spec *s = spec_to_fill(p);
        if (s == NULL) {
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        char *name = strdup(s->name);
        if (name == NULL) {
            s->failures++;
            continue;
        }
        s->n_starting++;
        pthread_mutex_unlock(&p->mu);
        struct kernel_start_opts ko = {
            .kernel_name = name,
            .cwd = p->cwd,
            .extra_env = (const char *const *)p->env,
            .start_timeout_ms = p->start_timeout_ms,
        };
        char err[256];
        struct kernel *k = kernel_local_start(&ko, err, sizeof err);
        pthread_mutex_lock(&p->mu);
        s = spec_find(p, name, 0);
        free(name);
        s->n_starting--;
        pthread_cond_broadcast(&p->ready_cv);
        if (k != NULL && s->n_ready < p->size && !p->stop) {
            s->ready[s->n_ready++] = k;
            s->failures = 0;
        } else if (k != NULL) {
            pthread_mutex_unlock(&p->mu);
            k->ops->shutdown(k);
            pthread_mutex_lock(&p->mu);
        } else {
            s->failures++; /* a kernelspec that will not start is left to cold starts */
        }
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct kernel_pool *kernel_pool_new(int size, const char *first, const char *cwd,
                                    const char *const *env, long start_timeout_ms)
{
    struct kernel_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->size = size > MAX_SIZE ? MAX_SIZE : size;
    p->start_timeout_ms = start_timeout_ms;
    p->cwd = cwd ? strdup(cwd) : NULL;
    size_t n = 0;
    while (env && env[n])
        n++;
    p->env = calloc(n + 1, sizeof *p->env);
    for (size_t i = 0; p->env && i < n; i++)
        p->env[i] = strdup(env[i]);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->ready_cv, NULL);
    if (first != NULL)
        spec_find(p, first, 1);
    int want = p->size < MAX_THREADS ? p->size : MAX_THREADS;
    while (p->env != NULL && p->n_threads < want &&
           pthread_create(&p->threads[p->n_threads], NULL, refill_main, p) == 0)
        p->n_threads++;
    if (p->n_threads == 0) {
        kernel_pool_free(p);
        return NULL;
    }
    return p;
}

struct kernel *kernel_pool_take(struct kernel_pool *p, const char *name)
{
    struct kernel *k = NULL, *dead = NULL;
    pthread_mutex_lock(&p->mu);
    struct spec *s = spec_find(p, name, 1);
    /* A kernel starting (or about to be) is ready sooner than a cold
     * start, which would only compete with it for the CPU. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += p->start_timeout_ms / 1000;
    until.tv_nsec += (p->start_timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (s != NULL && s->n_ready == 0 && !p->stop &&
           (s->n_starting > 0 || (s->n_starting < p->size && s->failures < 3))) {
        pthread_cond_signal(&p->cv);
        if (pthread_cond_timedwait(&p->ready_cv, &p->mu, &until) != 0)
            break;
    }
    while (s != NULL && s->n_ready > 0 && k == NULL) {
        k = s->ready[0];
        memmove(&s->ready[0], &s->ready[1], (size_t)(s->n_ready - 1) * sizeof s->ready[0]);
        s->n_ready--;
        if (!k->ops->alive(k)) {
            dead = k; /* died while waiting: at most one discarded per take */
            k = NULL;
            break;
        }
    }
    if (s != NULL)
        s->failures = 0;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (dead != NULL)
        kernel_pool_retire(p, dead);
    return k;
}

void kernel_pool_retire(struct kernel_pool *p, struct kernel *k)
{
    pthread_mutex_lock(&p->mu);
    if (p->n_retired < RETIRED_MAX && !p->stop) {
        p->retired[p->n_retired++] = k;
        k = NULL;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    if (k != NULL)
        k->ops->shutdown(k);
}

int kernel_pool_fits(const struct kernel_pool *p, const char *cwd)
{
    if (p->cwd == NULL || cwd == NULL)
        return p->cwd == cwd;
    return strcmp(p->cwd, cwd) == 0;
}

void kernel_pool_free(struct kernel_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_cond_broadcast(&p->ready_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    for (int i = 0; i < p->n_retired; i++)
        p->retired[i]->ops->shutdown(p->retired[i]);
    for (int i = 0; i < p->n_specs; i++) {
        for (int j = 0; j < p->specs[i].n_ready; j++)
            p->specs[i].ready[j]->ops->shutdown(p->specs[i].ready[j]);
        free(p->specs[i].name);
    }
    for (size_t i = 0; p->env && p->env[i]; i++)
        free(p->env[i]);
    free(p->env);
    free(p->cwd);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->ready_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
