/* Internals of the PyYAML-compatible loader: the node graph the composer
 * builds from libyaml events and the constructor turns into JSON. */
#ifndef NBSOAR_PYYAML_IMPL_H
#define NBSOAR_PYYAML_IMPL_H

#include "pyyaml.h"

#include <stddef.h>

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode {
    enum ynode_kind kind;
    char *tag;            /* explicit tag (full form), NULL when none or "!" */
    int plain;            /* a plain scalar without tag: resolved implicitly */
    char *value;          /* scalar text */
    size_t len;
    struct ynode **items; /* sequence items, or mapping key, value, key, ... */
    size_t n, cap;
    size_t line, col;     /* 1-based start */
    json_t *built;        /* construction cache: aliases share one value */
    int building;         /* set while constructing, to catch recursion */
    int merging;          /* set while flattening merge keys */
    size_t weight;        /* nodes in the expanded value */
};

struct yload {
    const char *name;
    char *err;
    size_t errlen;
    int failed;
    size_t total;         /* expanded nodes constructed so far */
};

/* Records the first error: "<name>: line L, column C: <msg>". */
void yload_error(struct yload *y, size_t line, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The tag of a node: its explicit tag, else the default for sequences
 * and mappings, else what PyYAML's implicit resolver gives a plain
 * scalar, else str. */
const char *ynode_resolve(const struct ynode *n);
int yaml_in_list(const char *v, const char *const *list);

/* The JSON value of a composed node (OWNED), or NULL with the error set. */
json_t *ynode_construct(struct yload *y, struct ynode *node);

#endif
