/* PyYAML's composer on libyaml events: one document into a node graph with
 * anchors and aliases, then the constructor (pyyaml_construct.c). */
#include "pyyaml_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
    char *name;
    struct ynode *node;
};

struct composer {
    yaml_parser_t parser;
    struct yload *y;
    struct ynode **all; /* every node, for freeing */
    size_t nall, capall;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    int depth;
};

void yload_error(struct yload *y, size_t line, size_t col, const char *fmt, ...)
{
    if (y->failed)
        return;
    y->failed = 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(y->err, y->errlen, "%s: line %zu, column %zu: %s", y->name, line, col, msg);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need)
        c *= 2;
    void *np = realloc(*p, c * size);
    if (!np)
        return -1;
    *p = np;
    *cap = c;
    return 0;
}

static struct ynode *new_node(struct composer *c, enum ynode_kind kind, const yaml_mark_t *mark)
{
    struct ynode *n = calloc(1, sizeof *n);
    if (!n || grow((void **)&c->all, &c->capall, c->nall + 1, sizeof *c->all) < 0) {
        free(n);
        yload_error(c->y, mark->line + 1, mark->column + 1, "out of memory");
        return NULL;
    }
    c->all[c->nall++] = n;
    n->kind = kind;
    n->line = mark->line + 1;
    n->col = mark->column + 1;
    return n;
}

static int add_item(struct composer *c, struct ynode *parent, struct ynode *item)
{
    if (grow((void **)&parent->items, &parent->cap, parent->n + 1, sizeof *parent->items) < 0) {
        yload_error(c->y, parent->line, parent->col, "out of memory");
        return -1;
    }
    parent->items[parent->n++] = item;
    return 0;
}

/* The explicit tag of an event, NULL for none and for the "!" tag. */
static char *event_tag(const yaml_char_t *tag)
{
    if (!tag || !strcmp((const char *)tag, "!"))
        return NULL;
    return strdup((const char *)tag);
}

static int remember_anchor(struct composer *c, const yaml_char_t *anchor, struct ynode *node,
                           const yaml_mark_t *mark)
{
    if (!anchor)
        return 0;
    for (size_t i = 0; i < c->nanchors; i++) {
        if (!strcmp(c->anchors[i].name, (const char *)anchor)) {
            yload_error(c->y, mark->line + 1, mark->column + 1,
                        "found duplicate anchor '%s'; first occurrence at line %zu, column %zu", (const char *)anchor,
                        c->anchors[i].node->line, c->anchors[i].node->col);
            return -1;
        }
    }
    if (grow((void **)&c->anchors, &c->capanchors, c->nanchors + 1, sizeof *c->anchors) < 0) {
        yload_error(c->y, mark->line + 1, mark->column + 1, "out of memory");
        return -1;
    }
    c->anchors[c->nanchors].name = strdup((const char *)anchor);
    c->anchors[c->nanchors++].node = node;
    return 0;
}

static int next_event(struct composer *c, yaml_event_t *ev)
{
    if (yaml_parser_parse(&c->parser, ev))
        return 0;
    const yaml_parser_t *p = &c->parser;
    if (p->context)
        yload_error(c->y, p->problem_mark.line + 1, p->problem_mark.column + 1, "%s (%s at line %zu, column %zu)",
                    p->problem ? p->problem : "error", p->context, p->context_mark.line + 1,
                    p->context_mark.column + 1);
    else
        yload_error(c->y, p->problem_mark.line + 1, p->problem_mark.column + 1, "%s",
                    p->problem ? p->problem : "YAML error");
    return -1;
}

/* Composes the node starting at ev (consumed); NULL on error. */
static struct ynode *compose(struct composer *c, yaml_event_t *ev)
{
    struct ynode *node = NULL;
    const yaml_mark_t *mark = &ev->start_mark;
    if (ev->type == YAML_ALIAS_EVENT) {
        for (size_t i = 0; i < c->nanchors; i++)
            if (!strcmp(c->anchors[i].name, (const char *)ev->data.alias.anchor))
                node = c->anchors[i].node;
        if (!node)
            yload_error(c->y, mark->line + 1, mark->column + 1, "found undefined alias '%s'",
                        (const char *)ev->data.alias.anchor);
        yaml_event_delete(ev);
        return node;
    }
    if (++c->depth > 1000) {
        yload_error(c->y, mark->line + 1, mark->column + 1, "nesting deeper than 1000 levels");
        yaml_event_delete(ev);
        return NULL;
    }
    if (ev->type == YAML_SCALAR_EVENT) {
        node = new_node(c, YNODE_SCALAR, mark);
        if (node) {
            node->tag = event_tag(ev->data.scalar.tag);
            node->plain = !node->tag && ev->data.scalar.plain_implicit; /* PyYAML: also for "!" */
            node->len = ev->data.scalar.length;
            node->value = malloc(node->len + 1);
            if (node->value) {
                memcpy(node->value, ev->data.scalar.value, node->len);
                node->value[node->len] = '\0';
            }
            if (remember_anchor(c, ev->data.scalar.anchor, node, mark) < 0)
                node = NULL;
        }
        yaml_event_delete(ev);
        c->depth--;
        return node;
    }
    int is_seq = ev->type == YAML_SEQUENCE_START_EVENT;
    if (!is_seq && ev->type != YAML_MAPPING_START_EVENT) {
        yload_error(c->y, mark->line + 1, mark->column + 1, "unexpected YAML event");
        yaml_event_delete(ev);
        return NULL;
    }
    node = new_node(c, is_seq ? YNODE_SEQ : YNODE_MAP, mark);
    if (node) {
        node->tag = event_tag(is_seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
        if (remember_anchor(c, is_seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor, node,
                            mark) < 0)
            node = NULL;
    }
    yaml_event_delete(ev);
    yaml_event_type_t end = is_seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
    while (node) {
        yaml_event_t child;
        if (next_event(c, &child) < 0)
            return NULL;
        if (child.type == end) {
            yaml_event_delete(&child);
            break;
        }
        struct ynode *item = compose(c, &child);
        if (!item || add_item(c, node, item) < 0)
            return NULL;
    }
    c->depth--;
    return node;
}

static void composer_free(struct composer *c)
{
    for (size_t i = 0; i < c->nall; i++) {
        json_decref(c->all[i]->built);
        free(c->all[i]->tag);
        free(c->all[i]->value);
        free(c->all[i]->items);
        free(c->all[i]);
    }
    free(c->all);
    for (size_t i = 0; i < c->nanchors; i++)
        free(c->anchors[i].name);
    free(c->anchors);
    yaml_parser_delete(&c->parser);
}

/* Stream: STREAM-START, at most one document, STREAM-END. */
json_t *pyyaml_load(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
    struct yload y = {.name = name, .err = err, .errlen = errlen};
    struct composer c = {.y = &y};
    if (!yaml_parser_initialize(&c.parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
    json_t *result = NULL;
    struct ynode *root = NULL;
    int docs = 0;
    yaml_event_t ev;
    while (!y.failed && next_event(&c, &ev) == 0) {
        yaml_event_type_t type = ev.type;
        if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1)
            yload_error(&y, ev.start_mark.line + 1, ev.start_mark.column + 1,
                        "expected a single document in the stream, but found another document");
        if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT ||
            type == YAML_ALIAS_EVENT) {
            root = compose(&c, &ev);
            if (!root)
                break;
            continue;
        }
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    if (!y.failed)
        result = root ? ynode_construct(&y, root) : json_null();
    composer_free(&c);
    return y.failed ? (json_decref(result), NULL) : result;
}
