/* PyYAML SafeLoader's constructors on the composed node graph: scalars,
 * sequences, mappings with merge keys; see pyyaml.h for the rules and the
 * differences. */
#include "py_number.h"
#include "pyjson.h"
#include "pyyaml_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG(x) "tag:yaml.org,2002:" x

/* ---- scalar constructors ---- */

/* value without '_' (OWNED) */
static char *without_underscores(const struct ynode *n)
{
    char *s = malloc(n->len + 1);
    size_t o = 0;
    for (size_t i = 0; s && i < n->len; i++)
        if (n->value[i] != '_')
            s[o++] = n->value[i];
    if (s)
        s[o] = '\0';
    return s;
}

static json_t *negate(json_t *v)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i != INT64_MIN) {
            json_integer_set(v, -i);
            return v;
        }
    }
    const char *d = json_is_integer(v) ? "-9223372036854775808" : pyjson_bigint_digits(v);
    json_t *out = d[0] == '-' ? pyjson_int_from_text(d + 1, strlen(d + 1)) : NULL;
    if (d[0] != '-') {
        size_t n = strlen(d);
        char *t = malloc(n + 2);
        if (t) {
            t[0] = '-';
            memcpy(t + 1, d, n + 1);
            out = pyjson_int_from_text(t, n + 1);
            free(t);
        }
    }
    json_decref(v);
    return out;
}

static json_t *construct_int(struct yload *y, const struct ynode *n)
{
    char err[256];
    char *v = without_underscores(n);
    char *p = v;
    json_t *out = NULL;
    int neg = p && *p == '-';
    if (p && (*p == '-' || *p == '+'))
        p++;
    if (!p || !*p) {
        yload_error(y, n->line, n->col, "cannot construct an int from '%s'", n->value);
    } else if (!strcmp(p, "0")) {
        out = json_integer(0);
    } else if (!strncmp(p, "0b", 2) || !strncmp(p, "0x", 2)) {
        out = py_int_from_str(p + 2, strlen(p + 2), p[1] == 'b' ? 2 : 16, err, sizeof err);
    } else if (p[0] == '0') {
        out = py_int_from_str(p, strlen(p), 8, err, sizeof err);
    } else if (strchr(p, ':')) {
        struct pybig big = {0};
        int first = 1, bad = 0;
        for (char *part = strtok(p, ":"); part && !bad; part = strtok(NULL, ":")) {
            size_t len = strlen(part);
            bad = !len || strspn(part, "0123456789") != len || (!first && len > 9);
            for (size_t i = 0; first && !bad && i < len; i++)
                pybig_muladd(&big, 10, (uint32_t)(part[i] - '0'));
            if (!first && !bad)
                pybig_muladd(&big, 60, (uint32_t)strtoul(part, NULL, 10));
            first = 0;
        }
        if (bad) {
            snprintf(err, sizeof err, "cannot construct a sexagesimal int from '%s'", n->value);
            free(big.limb);
        } else {
            out = pybig_to_json(&big, 0);
            if (!out)
                snprintf(err, sizeof err, "int too large: more than %d digits", PYJSON_MAX_INT_DIGITS);
        }
    } else {
        out = py_int_from_str(p, strlen(p), 10, err, sizeof err);
    }
    if (out && neg)
        out = negate(out);
    if (!out)
        yload_error(y, n->line, n->col, "%s", err);
    free(v);
    return out;
}

static json_t *construct_float(struct yload *y, const struct ynode *n)
{
    char *v = without_underscores(n);
    json_t *out = NULL;
    if (!v || !*v) {
        yload_error(y, n->line, n->col, "could not convert string to float: '%s'", n->value);
        free(v);
        return NULL;
    }
    for (char *c = v; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    double sign = *v == '-' ? -1.0 : 1.0;
    char *p = v + (*v == '-' || *v == '+');
    double d = 0;
    int ok = 1;
    if (!strcmp(p, ".inf")) {
        d = INFINITY;
    } else if (!strcmp(p, ".nan")) {
        d = NAN;
    } else if (strchr(p, ':')) {
        /* Python: parts reversed, value += part * base; base *= 60 */
        double parts[64];
        int np = 0;
        for (char *part = strtok(p, ":"); ok && part; part = strtok(NULL, ":"))
            ok = np < 64 && py_float_from_str(part, strlen(part), &parts[np++]) == 0;
        double base = 1;
        for (int i = np - 1; ok && i >= 0; i--) {
            d += parts[i] * base;
            base *= 60;
        }
    } else {
        ok = py_float_from_str(p, strlen(p), &d) == 0;
    }
    if (ok)
        out = pyjson_float(sign * d);
    else
        yload_error(y, n->line, n->col, "could not convert string to float: '%s'", n->value);
    free(v);
    return out;
}

static json_t *construct_scalar(struct yload *y, const struct ynode *n, const char *tag)
{
    if (!strcmp(tag, TAG("str")))
        return json_stringn(n->value, n->len);
    if (!strcmp(tag, TAG("null")))
        return json_null();
    if (!strcmp(tag, TAG("bool"))) {
        char low[8] = "";
        if (n->len < sizeof low)
            for (size_t i = 0; i <= n->len; i++)
                low[i] = (char)(n->value[i] >= 'A' && n->value[i] <= 'Z' ? n->value[i] - 'A' + 'a' : n->value[i]);
        if (!strcmp(low, "yes") || !strcmp(low, "true") || !strcmp(low, "on"))
            return json_true();
        if (!strcmp(low, "no") || !strcmp(low, "false") || !strcmp(low, "off"))
            return json_false();
        yload_error(y, n->line, n->col, "cannot construct a bool from '%s'", n->value);
        return NULL;
    }
    if (!strcmp(tag, TAG("int")))
        return construct_int(y, n);
    if (!strcmp(tag, TAG("float")))
        return construct_float(y, n);
    yload_error(y, n->line, n->col, "could not determine a constructor for the tag '%s'", tag);
    return NULL;
}

/* ---- mappings: merge keys and Python key equality ---- */

struct pairs {
    struct ynode **kv;
    size_t n, cap;
};

static int pairs_add(struct pairs *p, struct ynode *k, struct ynode *v)
{
    if (p->n + 2 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct ynode **nk = realloc(p->kv, cap * sizeof *nk);
        if (!nk)
            return -1;
        p->kv = nk;
        p->cap = cap;
    }
    p->kv[p->n++] = k;
    p->kv[p->n++] = v;
    return 0;
}

/* PyYAML's flatten_mapping without changing the nodes: merged pairs first
 * (of a merge list, the later mappings first), then the node's own. */
static int flatten(struct yload *y, struct ynode *map, struct pairs *out)
{
    struct pairs merged = {0}, own = {0};
    int rc = 0;
    if (map->merging) {
        yload_error(y, map->line, map->col, "recursive merge key");
        return -1;
    }
    map->merging = 1;
    for (size_t i = 0; rc == 0 && i + 1 < map->n; i += 2) {
        struct ynode *k = map->items[i], *v = map->items[i + 1];
        if (k->kind != YNODE_SCALAR || strcmp(ynode_resolve(k), TAG("merge"))) {
            rc = pairs_add(&own, k, v);
            continue;
        }
        if (v->kind == YNODE_MAP) {
            rc = flatten(y, v, &merged);
        } else if (v->kind == YNODE_SEQ) {
            for (size_t j = v->n; rc == 0 && j-- > 0;) {
                if (v->items[j]->kind != YNODE_MAP) {
                    yload_error(y, v->items[j]->line, v->items[j]->col,
                                "expected a mapping for merging, but found %s",
                                v->items[j]->kind == YNODE_SEQ ? "sequence" : "scalar");
                    rc = -1;
                } else {
                    rc = flatten(y, v->items[j], &merged);
                }
            }
        } else {
            yload_error(y, v->line, v->col, "expected a mapping or list of mappings for merging, but found scalar");
            rc = -1;
        }
    }
    for (size_t i = 0; rc == 0 && i < own.n; i += 2)
        rc = pairs_add(&merged, own.kv[i], own.kv[i + 1]);
    for (size_t i = 0; rc == 0 && i < merged.n; i += 2)
        rc = pairs_add(out, merged.kv[i], merged.kv[i + 1]);
    if (rc < 0)
        yload_error(y, map->line, map->col, "out of memory");
    free(merged.kv);
    free(own.kv);
    map->merging = 0;
    return rc;
}

/* Python's str(key) and an identity under Python's == (1, 1.0, True). */
static int key_text(json_t *k, char **text, char **id)
{
    char buf[48];
    *text = *id = NULL;
    if (json_is_string(k)) {
        *text = strndup(json_string_value(k), json_string_length(k));
        if (asprintf(id, "S%s", *text ? *text : "") < 0)
            *id = NULL;
    } else if (json_is_null(k)) {
        *text = strdup("None");
        *id = strdup("N");
    } else if (json_is_boolean(k)) {
        *text = strdup(json_is_true(k) ? "True" : "False");
        *id = strdup(json_is_true(k) ? "I1" : "I0");
    } else if (pyjson_is_int(k)) {
        if (json_is_integer(k))
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
        *text = strdup(json_is_integer(k) ? buf : pyjson_bigint_digits(k));
        if (*text && asprintf(id, "I%s", *text) < 0)
            *id = NULL;
    } else if (pyjson_is_float(k)) {
        double d = pyjson_float_value(k);
        pyjson_float_repr(d, buf);
        *text = strdup(buf);
        int r;
        if (isnan(d))
            r = asprintf(id, "F%p", (void *)k); /* nan never equals another key */
        else if (d == floor(d) && isfinite(d))
            r = asprintf(id, "I%.0f", d == 0 ? 0.0 : d);
        else
            r = asprintf(id, "F%s", buf);
        if (r < 0)
            *id = NULL;
    } else {
        return 1; /* unhashable */
    }
    return *text && *id ? 0 : -1;
}

static json_t *construct_map(struct yload *y, struct ynode *n)
{
    struct pairs pairs = {0};
    json_t *out = json_object(), *ids = json_object();
    if (!out || !ids || flatten(y, n, &pairs) < 0)
        goto fail;
    for (size_t i = 0; i < pairs.n; i += 2) {
        struct ynode *kn = pairs.kv[i];
        json_t *k = kn->kind == YNODE_SCALAR && !strcmp(ynode_resolve(kn), TAG("value"))
                        ? json_stringn(kn->value, kn->len)
                        : ynode_construct(y, kn);
        json_t *v = k ? ynode_construct(y, pairs.kv[i + 1]) : NULL;
        char *text, *id;
        int rc = v ? key_text(k, &text, &id) : -1;
        json_decref(k);
        if (rc == 1)
            yload_error(y, kn->line, kn->col, "found unhashable key");
        if (rc != 0) {
            json_decref(v);
            if (rc < 0 && !y->failed)
                yload_error(y, kn->line, kn->col, "out of memory");
            goto fail;
        }
        const char *prev = json_string_value(json_object_get(ids, id));
        json_object_set_new(out, prev ? prev : text, v);
        if (!prev)
            json_object_set_new(ids, id, json_string(text));
        free(text);
        free(id);
    }
    free(pairs.kv);
    json_decref(ids);
    return out;
fail:
    free(pairs.kv);
    json_decref(ids);
    json_decref(out);
    return NULL;
}

json_t *ynode_construct(struct yload *y, struct ynode *n)
{
    if (n->built)
        return json_incref(n->built);
    if (n->building) {
        yload_error(y, n->line, n->col, "recursive alias (a node that contains itself) is not supported");
        return NULL;
    }
    const char *tag = ynode_resolve(n);
    static const char *const refused[] = {TAG("binary"), TAG("timestamp"), TAG("set"), TAG("omap"),
                                          TAG("pairs"), NULL};
    if (yaml_in_list(tag, refused)) {
        yload_error(y, n->line, n->col, "YAML tag '%s' is not supported (its value cannot be stored as JSON)", tag);
        return NULL;
    }
    json_t *v = NULL;
    size_t weight = 1;
    n->building = 1;
    if (!strcmp(tag, TAG("seq")) || !strcmp(tag, TAG("map"))) {
        enum ynode_kind want = !strcmp(tag, TAG("seq")) ? YNODE_SEQ : YNODE_MAP;
        if (n->kind != want) {
            yload_error(y, n->line, n->col, "expected a %s node, but found %s",
                        want == YNODE_SEQ ? "sequence" : "mapping",
                        n->kind == YNODE_SCALAR ? "scalar" : n->kind == YNODE_SEQ ? "sequence" : "mapping");
        } else if (want == YNODE_MAP) {
            v = construct_map(y, n);
        } else {
            v = json_array();
            for (size_t i = 0; v && i < n->n; i++) {
                json_t *item = ynode_construct(y, n->items[i]);
                if (!item || json_array_append_new(v, item) < 0) {
                    json_decref(v);
                    v = NULL;
                }
            }
        }
        for (size_t i = 0; v && i < n->n; i++)
            weight += n->items[i]->weight;
    } else if (n->kind != YNODE_SCALAR) {
        yload_error(y, n->line, n->col, "expected a scalar node, but found %s",
                    n->kind == YNODE_SEQ ? "sequence" : "mapping");
    } else {
        v = construct_scalar(y, n, tag);
    }
    n->building = 0;
    if (v && weight > PYYAML_MAX_NODES) {
        yload_error(y, n->line, n->col, "aliases expand to more than %d values", PYYAML_MAX_NODES);
        json_decref(v);
        v = NULL;
    }
    if (!v && !y->failed)
        yload_error(y, n->line, n->col, "out of memory");
    n->weight = weight;
    n->built = v ? json_incref(v) : NULL;
    return v;
}
