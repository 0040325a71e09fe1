/* Private parts of the route table shared by route_parse.c (building),
 * route_match.c (matching) and route_param.c (parameters). */
#ifndef NBSOAR_ROUTE_INTERNAL_H
#define NBSOAR_ROUTE_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "route_match.h"

/* One dotted name.  A numeric name indexes a list (and is a key in an
 * object); `*` visits every element. */
struct path_seg {
    char *name;
    size_t len;
    long index;   /* -1: not a number */
    int any;      /* `*` */
};

struct route_path {
    struct path_seg *segs;
    size_t n;
    int has_any;
    int parent;   /* table index of the path minus its last name; -1: the event */
    char *text;   /* as written, for messages */
    char *key;    /* canonical form, to share one path between tests */
};

enum pred_op { PRED_EXISTS = 0, PRED_EQ = 1, PRED_REGEX = 2 };

/* A test without its negation, shared by every route that uses it so each
 * one is evaluated at most once per event. */
struct route_pred {
    int path;            /* index into route_table.paths */
    enum pred_op op;
    char *operand;       /* equality text or regex source */
    size_t operand_len;
    int operand_is_int;
    json_int_t operand_int;
    int operand_is_real;
    double operand_real;
    pcre2_code *re;
    uint32_t re_flags;
    int jit;             /* JIT compile succeeded */
    int literal;         /* regex that is plain text: matched with memmem */
    char *key;           /* canonical form for sharing */
};

struct route_cond {
    int pred;
    int negate;
    int cost;            /* for ordering: exists < equality < regex, walks last */
};

/* A param.* template: a literal, exactly one {path} (value kept with its
 * type), or text with {path}s interpolated. */
struct tmpl_piece {
    char *text;          /* literal text, or NULL for a path */
    struct route_path path;
};

enum param_kind { PARAM_LITERAL = 0, PARAM_WHOLE = 1, PARAM_TEXT = 2 };

struct route_param {
    char *name;
    enum param_kind kind;
    json_t *literal;          /* PARAM_LITERAL: OWNED */
    struct tmpl_piece *pieces;/* PARAM_WHOLE: one path piece; PARAM_TEXT: several */
    size_t n_pieces;
};

/* A cheap test that some routes require (equality or exists, in an all-of
 * route): evaluated first, and when it fails every route in `routes` is
 * struck off at once instead of one by one. */
struct route_guard {
    int pred;
    int negate;
    uint64_t *routes;   /* bitmap over route_table.routes */
};

struct route_table {
    struct route *routes;     /* evaluation order; default last */
    size_t n_routes;
    struct route_path *paths;
    size_t n_paths;
    struct route_pred *preds;
    size_t n_preds;
    size_t max_jobs;
    struct route_guard *guards;
    size_t n_guards;
    size_t n_words;           /* uint64_t words in a route bitmap */
};

/* Paths (route_path.c). */
int route_path_parse(const char *text, struct route_path *out, char *err, size_t errlen);
void route_path_free(struct route_path *p);
/* One step down: a key of an object or an index of a list; NULL if none. */
const json_t *route_path_step(const json_t *v, const struct path_seg *s);
/* Copy of the first n names of p (n >= 1, no `*` among them). */
int route_path_prefix(const struct route_path *p, size_t n, struct route_path *out);
/* Value at a path without `*`; NULL when absent. */
const json_t *route_path_get(const json_t *event, const struct route_path *p);
/* Calls fn on every value the path reaches (following `*`); stops and
 * returns 1 as soon as fn returns non-zero. */
int route_path_walk(const json_t *event, const struct route_path *p,
                    int (*fn)(void *arg, const json_t *v), void *arg);

/* Parses one test into *pr (operand, regex compiled with JIT) and *negate;
 * pr->path and pr->key are the caller's (route_cond.c). */
int route_cond_parse(const char *value, struct route_pred *pr, int *negate,
                     char *err, size_t errlen);

/* Builds t->guards once the routes are in their final order (route_match.c). */
int route_guards_build(struct route_table *t);
void route_guards_free(struct route_table *t);

/* Templates (route_param.c). */
int route_param_parse(const char *name, const char *value, struct route_param *out,
                      char *err, size_t errlen);
void route_param_free(struct route_param *p);

#endif
