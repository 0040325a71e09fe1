/* Matching events against a built route table: the hot path.  Each path is
 * looked up and each distinct test evaluated at most once per event (cached
 * by a generation number), so 100 routes sharing `source = splunk` cost one
 * comparison, and a failed shared test strikes off all its routes at once
 * (guards); nothing here allocates. */
#include "route_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on one regex run: event text is untrusted, a pathological pattern
 * must fail to match instead of stalling the host. */
#define MATCH_LIMIT 1000000u
#define DEPTH_LIMIT 100000u
#define JIT_STACK_MIN (32u * 1024u)
#define JIT_STACK_MAX (1024u * 1024u)

/* Per-event caches: an entry is current when its generation is the
 * matcher's.  A test's state packs generation and result in one word. */
struct path_cache {
    uint32_t gen;
    int fanout;          /* a name met a list on the way: walk the path */
    const json_t *val;
};

#define GEN_MAX (UINT32_MAX >> 1)

struct route_matcher {
    const struct route_table *t;
    uint32_t gen;
    struct path_cache *paths;
    uint32_t *pred_state;   /* gen << 1 | result */
    uint64_t *live;         /* routes still possible for this event */
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack;
};

struct route_matcher *route_matcher_new(const struct route_table *t)
{
    struct route_matcher *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->t = t;
    size_t np = t->n_paths ? t->n_paths : 1, nq = t->n_preds ? t->n_preds : 1;
    m->paths = calloc(np, sizeof(*m->paths));
    m->pred_state = calloc(nq, sizeof(*m->pred_state));
    m->live = calloc(t->n_words ? t->n_words : 1, sizeof(*m->live));
    /* One pair is enough: only "did it match" is asked. */
    m->md = pcre2_match_data_create(1, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    m->jit_stack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
    if (m->paths == NULL || m->pred_state == NULL || m->live == NULL || m->md == NULL ||
        m->mctx == NULL) {
        route_matcher_free(m);
        return NULL;
    }
    pcre2_set_match_limit(m->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(m->mctx, DEPTH_LIMIT);
    if (m->jit_stack != NULL)
        pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
    return m;
}

void route_matcher_free(struct route_matcher *m)
{
    if (m == NULL)
        return;
    free(m->paths);
    free(m->pred_state);
    free(m->live);
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->jit_stack);
    free(m);
}

static void next_generation(struct route_matcher *m)
{
    if (++m->gen <= GEN_MAX)
        return;
    /* Wrapped: stale entries could look current, so forget them all. */
    memset(m->paths, 0, (m->t->n_paths ? m->t->n_paths : 1) * sizeof(*m->paths));
    memset(m->pred_state, 0, (m->t->n_preds ? m->t->n_preds : 1) * sizeof(*m->pred_state));
    m->gen = 1;
}

struct scalar_test {
    struct route_matcher *m;
    const struct route_pred *pr;
};

static int regex_text(struct route_matcher *m, const struct route_pred *pr,
                      const char *s, size_t len)
{
    /* The JIT entry skips pcre2_match's option checks and UTF-8 scan: the
     * text is valid UTF-8 because jansson validates every string it makes
     * (see the header).  Numbers' text is ASCII. */
    if (pr->literal)
        return memmem(s, len, pr->operand, pr->operand_len) != NULL;
    int rc = pr->jit ? pcre2_jit_match(pr->re, (PCRE2_SPTR)s, len, 0, 0, m->md, m->mctx)
                     : pcre2_match(pr->re, (PCRE2_SPTR)s, len, 0, 0, m->md, m->mctx);
    return rc >= 0;
}

/* Text of a non-string scalar, as JSON writes it. */
static size_t scalar_text(const json_t *v, char *buf, size_t size)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        return (size_t)snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return (size_t)snprintf(buf, size, "%.15g", json_real_value(v));
    case JSON_TRUE:
        return (size_t)snprintf(buf, size, "true");
    case JSON_FALSE:
        return (size_t)snprintf(buf, size, "false");
    case JSON_NULL:
        return (size_t)snprintf(buf, size, "null");
    default:
        return (size_t)-1;
    }
}

static int test_scalar(void *arg, const json_t *v)
{
    const struct scalar_test *st = arg;
    const struct route_pred *pr = st->pr;
    if (pr->op == PRED_EXISTS)
        return !json_is_null(v);
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_array(e) && test_scalar(arg, e))
                return 1;
        }
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (pr->op == PRED_EQ)
            return len == pr->operand_len && memcmp(s, pr->operand, len) == 0;
        return regex_text(st->m, pr, s, len);
    }
    if (pr->op == PRED_EQ && json_is_integer(v) && pr->operand_is_int)
        return json_integer_value(v) == pr->operand_int;
    if (pr->op == PRED_EQ && json_is_number(v))
        return pr->operand_is_real && json_number_value(v) == pr->operand_real;
    char buf[64];
    size_t len = scalar_text(v, buf, sizeof(buf));
    if (len >= sizeof(buf))
        return 0;
    if (pr->op == PRED_EQ)
        return len == pr->operand_len && memcmp(buf, pr->operand, len) == 0;
    return regex_text(st->m, pr, buf, len);
}

/* A path's value from its parent's (itself cached): one lookup per step. */
static const json_t *cached_path(struct route_matcher *m, const json_t *event, int idx)
{
    struct path_cache *c = &m->paths[idx];
    if (c->gen != m->gen) {
        const struct route_path *p = &m->t->paths[idx];
        const json_t *base = event;
        c->fanout = 0;
        if (p->parent >= 0) {
            base = cached_path(m, event, p->parent);
            c->fanout = m->paths[p->parent].fanout;
        }
        const struct path_seg *last = &p->segs[p->n - 1];
        if (json_is_array(base) && last->index < 0)
            c->fanout = 1;
        c->val = base != NULL && !c->fanout ? route_path_step(base, last) : NULL;
        c->gen = m->gen;
    }
    return c->val;
}

static int eval_pred(struct route_matcher *m, const json_t *event, int idx)
{
    uint32_t state = m->pred_state[idx];
    if (state >> 1 == m->gen)
        return (int)(state & 1);
    const struct route_pred *pr = &m->t->preds[idx];
    const struct route_path *path = &m->t->paths[pr->path];
    struct scalar_test st = {.m = m, .pr = pr};
    int res;
    if (path->has_any) {
        res = route_path_walk(event, path, test_scalar, &st);
    } else {
        const json_t *v = cached_path(m, event, pr->path);
        if (v != NULL)
            res = test_scalar(&st, v);
        else
            res = m->paths[pr->path].fanout && route_path_walk(event, path, test_scalar, &st);
    }
    m->pred_state[idx] = m->gen << 1 | (res != 0);
    return res != 0;
}

static int route_matches(struct route_matcher *m, const struct route *r, const json_t *event)
{
    if (r->n_conds == 0)
        return 1;
    for (size_t i = 0; i < r->n_conds; i++) {
        int ok = eval_pred(m, event, r->conds[i].pred) != r->conds[i].negate;
        if (ok == r->any)
            return ok;
    }
    return !r->any;
}

static size_t add_jobs(const struct route *r, size_t n, struct route_job *jobs, size_t max)
{
    for (size_t i = 0; i < r->n_notebooks; i++, n++) {
        if (n < max)
            jobs[n] = (struct route_job){.route = r, .notebook = r->notebooks[i]};
    }
    return n;
}

/* Strikes off the routes whose guard fails for this event. */
static void apply_guards(struct route_matcher *m, const json_t *event)
{
    const struct route_table *t = m->t;
    for (size_t w = 0; w < t->n_words; w++)
        m->live[w] = ~(uint64_t)0;
    for (size_t g = 0; g < t->n_guards; g++) {
        const struct route_guard *gd = &t->guards[g];
        if (eval_pred(m, event, gd->pred) != gd->negate)
            continue;
        for (size_t w = 0; w < t->n_words; w++)
            m->live[w] &= ~gd->routes[w];
    }
}

size_t route_table_match(const struct route_table *t, struct route_matcher *m,
                         const json_t *event, struct route_job *jobs, size_t max_jobs)
{
    next_generation(m);
    apply_guards(m, event);
    size_t n = 0;
    int matched = 0;
    for (size_t w = 0; w < t->n_words; w++) {
        for (uint64_t bits = m->live[w]; bits != 0; bits &= bits - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
            if (i >= t->n_routes)
                return n;
            const struct route *r = &t->routes[i];
            if (r->is_default)
                return matched ? n : add_jobs(r, n, jobs, max_jobs);
            if (!route_matches(m, r, event))
                continue;
            matched = 1;
            n = add_jobs(r, n, jobs, max_jobs);
            if (!r->cont)
                return n;
        }
    }
    return n;
}

/* A route's guard: its first test when that one is cheap and required. */
static int guard_of(const struct route *r)
{
    if (r->is_default || r->any || r->n_conds == 0 || r->conds[0].cost > PRED_EQ)
        return 0;
    return 1;
}

int route_guards_build(struct route_table *t)
{
    t->n_words = (t->n_routes + 63) / 64;
    for (size_t i = 0; i < t->n_routes; i++) {
        const struct route *r = &t->routes[i];
        if (!guard_of(r))
            continue;
        size_t g = 0;
        while (g < t->n_guards && (t->guards[g].pred != r->conds[0].pred ||
                                   t->guards[g].negate != r->conds[0].negate))
            g++;
        if (g == t->n_guards) {
            struct route_guard *grown = realloc(t->guards, (g + 1) * sizeof(*grown));
            if (grown == NULL)
                return -1;
            t->guards = grown;
            t->guards[g] = (struct route_guard){.pred = r->conds[0].pred,
                                                .negate = r->conds[0].negate,
                                                .routes = calloc(t->n_words, sizeof(uint64_t))};
            t->n_guards++;
            if (t->guards[g].routes == NULL)
                return -1;
        }
        t->guards[g].routes[i / 64] |= (uint64_t)1 << (i % 64);
    }
    /* A guard over one route saves nothing: its test runs in the route. */
    size_t kept = 0;
    for (size_t g = 0; g < t->n_guards; g++) {
        size_t routes = 0;
        for (size_t w = 0; w < t->n_words; w++)
            routes += (size_t)__builtin_popcountll(t->guards[g].routes[w]);
        if (routes < 2)
            free(t->guards[g].routes);
        else
            t->guards[kept++] = t->guards[g];
    }
    t->n_guards = kept;
    return 0;
}

void route_guards_free(struct route_table *t)
{
    for (size_t g = 0; g < t->n_guards; g++)
        free(t->guards[g].routes);
    free(t->guards);
    t->guards = NULL;
    t->n_guards = 0;
}
