/* PyYAML's implicit resolver: the tag of a plain scalar from its text, by
 * the regular expressions of yaml/resolver.py (timestamps left out, as
 * papermill's NoDatesSafeLoader does). */
#include "pyyaml_impl.h"

#include <string.h>

#define TAG(x) "tag:yaml.org,2002:" x

/* ---- implicit resolution of plain scalars (PyYAML's regexes) ---- */

int yaml_in_list(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(v, *list))
            return 1;
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* [0-9_]* from p; returns the end */
static const char *digits_us(const char *p)
{
    while (is_digit(*p) || *p == '_')
        p++;
    return p;
}

/* (:[0-5]?[0-9])+ from p; NULL if none */
static const char *sexagesimal_tail(const char *p)
{
    const char *start = p;
    while (*p == ':') {
        const char *q = p + 1;
        if (q[0] >= '0' && q[0] <= '5' && is_digit(q[1]))
            q += 2;
        else if (is_digit(q[0]))
            q += 1;
        else
            break;
        p = q;
    }
    return p == start ? NULL : p;
}

/* [eE][-+][0-9]+ optional; returns the end or NULL on a bad exponent */
static const char *exponent(const char *p)
{
    if (*p != 'e' && *p != 'E')
        return p;
    if (p[1] != '-' && p[1] != '+')
        return NULL;
    p += 2;
    if (!is_digit(*p))
        return NULL;
    while (is_digit(*p))
        p++;
    return p;
}

static int is_yaml_float(const char *v)
{
    const char *p = v;
    if (*p == '-' || *p == '+')
        p++;
    if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF"))
        return 1;
    if (!strcmp(v, ".nan") || !strcmp(v, ".NaN") || !strcmp(v, ".NAN"))
        return 1;
    if (*p == '.' && p == v) { /* \.[0-9][0-9_]*(exp)? without a sign */
        if (!is_digit(p[1]))
            return 0;
        const char *e = exponent(digits_us(p + 1));
        return e && !*e;
    }
    if (!is_digit(*p))
        return 0;
    const char *q = digits_us(p + 1);
    if (*q == '.') { /* [0-9][0-9_]*\.[0-9_]*(exp)? */
        const char *e = exponent(digits_us(q + 1));
        if (e && !*e)
            return 1;
    }
    /* [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*: the digit run may end early for
     * the regex, but ':' is no digit, so the greedy run is the only split */
    const char *t = sexagesimal_tail(q);
    return t && *t == '.' && !*digits_us(t + 1);
}

static int is_yaml_int(const char *v)
{
    const char *p = v;
    if (*p == '-' || *p == '+')
        p++;
    if (p[0] == '0' && p[1] == 'b')
        return p[2] && !p[2 + strspn(p + 2, "01_")];
    if (p[0] == '0' && p[1] == 'x')
        return p[2] && !p[2 + strspn(p + 2, "0123456789abcdefABCDEF_")];
    if (p[0] == '0')
        return !p[1] || !p[1 + strspn(p + 1, "01234567_")];
    if (*p < '1' || *p > '9')
        return 0;
    const char *q = digits_us(p + 1);
    if (!*q)
        return 1;
    const char *t = sexagesimal_tail(q);
    return t && !*t;
}

const char *ynode_resolve(const struct ynode *n)
{
    static const char *const bools[] = {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
                                        "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", NULL};
    static const char *const nulls[] = {"~", "null", "Null", "NULL", "", NULL};
    if (n->tag)
        return n->tag;
    if (n->kind == YNODE_SEQ)
        return TAG("seq");
    if (n->kind == YNODE_MAP)
        return TAG("map");
    if (!n->plain)
        return TAG("str");
    const char *v = n->value;
    if (strlen(v) != n->len)
        return TAG("str");
    if (yaml_in_list(v, bools))
        return TAG("bool");
    if (is_yaml_float(v))
        return TAG("float");
    if (is_yaml_int(v))
        return TAG("int");
    if (!strcmp(v, "<<"))
        return TAG("merge");
    if (yaml_in_list(v, nulls))
        return TAG("null");
    if (!strcmp(v, "="))
        return TAG("value");
    return TAG("str");
}
