/* Translator lookup, Translator.translate's type dispatch and codify(). */
#include "translate_impl.h"
#include "pyjson.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void sb_adds(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

char *sb_finish(struct sb *b)
{
    if (!b->oom && !b->p)
        sb_add(b, "", 0);
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static const struct {
    const char *key;
    const struct translator *t;
} registry[] = {
    {"python", &translator_python},
    {"R", &translator_r},
    {"scala", &translator_scala},
    {"julia", &translator_julia},
    {"matlab", &translator_matlab},
    {".net-csharp", &translator_csharp},
    {".net-fsharp", &translator_fsharp},
    {".net-powershell", &translator_powershell},
    {"pysparkkernel", &translator_python},
    {"sparkkernel", &translator_scala},
    {"sparkrkernel", &translator_r},
    {"bash", &translator_bash},
};

static const struct translator *lookup(const char *key)
{
    if (!key)
        return NULL;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (!strcmp(registry[i].key, key))
            return registry[i].t;
    return NULL;
}

const struct translator *translator_find(const char *kernel_name, const char *language, char *err,
                                         size_t errlen)
{
    const struct translator *t = lookup(kernel_name);
    if (!t)
        t = lookup(language);
    if (!t)
        snprintf(err, errlen, "No parameter translator functions specified for kernel '%s' or language '%s'",
                 kernel_name ? kernel_name : "None", language ? language : "None");
    return t;
}

const char *translator_name(const struct translator *t)
{
    return t->name;
}

struct ctx {
    const struct translator *t;
    struct sb b;
    char *err;
    size_t errlen;
    int failed;
};

static void not_implemented(struct ctx *c, const char *what)
{
    if (!c->failed)
        snprintf(c->err, c->errlen, "%s type translation not implemented for <class 'papermill.translators.%s'>",
                 what, c->t->name);
    c->failed = 1;
}

static void translate_number(struct ctx *c, const json_t *v)
{
    char buf[40];
    const struct translator *t = c->t;
    if (pyjson_is_float(v)) {
        double d = pyjson_float_value(v);
        const char *special = isnan(d) ? t->nan : isinf(d) ? (d > 0 ? t->inf : t->ninf) : NULL;
        if (special) {
            sb_adds(&c->b, special);
        } else {
            pyjson_float_repr(d, buf);
            sb_adds(&c->b, buf);
        }
        return;
    }
    int wide;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, i);
        sb_adds(&c->b, buf);
        wide = i > 2147483647 || i < -2147483648LL;
    } else {
        sb_adds(&c->b, pyjson_bigint_digits(v));
        wide = 1;
    }
    if (t->long_suffix && wide)
        sb_add(&c->b, "L", 1);
}

static void translate(struct ctx *c, const json_t *v);

static void translate_dict(struct ctx *c, const json_t *v)
{
    const struct translator *t = c->t;
    const char *k;
    size_t kn;
    json_t *val;
    int first = 1;
    if (!t->dict.open) {
        not_implemented(c, "dict");
        return;
    }
    sb_adds(&c->b, t->dict.open);
    if (t->matlab_map) {
        /* containers.Map({'k1', 'k2'}, {v1, v2}): keys as char arrays */
        sb_add(&c->b, "{", 1);
        json_object_keylen_foreach((json_t *)v, k, kn, val)
        {
            if (!first)
                sb_adds(&c->b, ", ");
            first = 0;
            char *esc = py_unicode_escape(k, kn);
            sb_add(&c->b, "'", 1);
            for (const char *p = esc; p && *p; p++)
                sb_adds(&c->b, *p == '\'' ? "''" : (char[2]){*p, 0});
            sb_add(&c->b, "'", 1);
            free(esc);
        }
        sb_adds(&c->b, "}, {");
        first = 1;
        json_object_keylen_foreach((json_t *)v, k, kn, val)
        {
            if (!first)
                sb_adds(&c->b, ", ");
            first = 0;
            translate(c, val);
        }
        sb_add(&c->b, "}", 1);
    } else {
        json_object_keylen_foreach((json_t *)v, k, kn, val)
        {
            if (!first)
                sb_adds(&c->b, t->dict.sep);
            first = 0;
            sb_adds(&c->b, t->dict.kv_open);
            translate_str(t, &c->b, k, kn);
            sb_adds(&c->b, t->dict.kv_mid);
            translate(c, val);
            sb_adds(&c->b, t->dict.kv_close);
        }
    }
    sb_adds(&c->b, t->dict.close);
}

static void translate(struct ctx *c, const json_t *v)
{
    const struct translator *t = c->t;
    if (c->failed)
        return;
    if (pyjson_is_literal(v) || json_is_number(v)) {
        translate_number(c, v);
    } else if (json_is_null(v)) {
        if (t->none)
            sb_adds(&c->b, t->none);
        else if (!c->failed) {
            snprintf(c->err, c->errlen, "%s", t->none_error);
            c->failed = 1;
        }
    } else if (json_is_string(v)) {
        if (t->str == STR_SHLEX && memchr(json_string_value(v), 0, json_string_length(v))) {
            /* shlex.quote would pass it through; no shell variable can hold it */
            snprintf(c->err, c->errlen, "a string with a NUL character cannot be given to a Bash kernel");
            c->failed = 1;
            return;
        }
        translate_str(t, &c->b, json_string_value(v), json_string_length(v));
    } else if (json_is_boolean(v)) {
        sb_adds(&c->b, json_is_true(v) ? t->true_text : t->false_text);
    } else if (json_is_object(v)) {
        translate_dict(c, v);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *e;
        sb_adds(&c->b, t->list.open);
        json_array_foreach(v, i, e)
        {
            if (i)
                sb_adds(&c->b, t->list.sep);
            translate(c, e);
        }
        sb_adds(&c->b, t->list.close);
    }
}

static char *finish(struct ctx *c)
{
    char *out = sb_finish(&c->b);
    if (c->failed) {
        free(out);
        return NULL;
    }
    if (!out)
        snprintf(c->err, c->errlen, "out of memory while translating parameters");
    return out;
}

char *translator_value(const struct translator *t, const json_t *v, char *err, size_t errlen)
{
    struct ctx c = {.t = t, .err = err, .errlen = errlen};
    translate(&c, v);
    return finish(&c);
}

/* f'...'.strip(): Python's whitespace at both ends (ASCII and the
 * separators \x1c-\x1f; wider Unicode spaces are left alone). */
static void add_stripped(struct sb *b, const char *s)
{
    size_t n = strlen(s);
    while (n && strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", s[n - 1]))
        n--;
    while (n && strchr(" \t\n\r\v\f\x1c\x1d\x1e\x1f", *s))
        s++, n--;
    sb_add(b, s, n);
}

static void add_format(struct sb *b, const char *fmt, const char *a, const char *bb)
{
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            sb_adds(b, a);
            a = bb;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            sb_add(b, "%", 1);
            p++;
        } else {
            sb_add(b, p, 1);
        }
    }
}

char *translator_comment(const struct translator *t, const char *s)
{
    struct sb raw = {0}, out = {0};
    add_format(&raw, t->comment_fmt, s, NULL);
    char *text = sb_finish(&raw);
    if (!text)
        return NULL;
    add_stripped(&out, text);
    free(text);
    return sb_finish(&out);
}

char *translator_codify(const struct translator *t, const json_t *params, const char *comment,
                        const json_t *raw, char *err, size_t errlen)
{
    struct ctx c = {.t = t, .err = err, .errlen = errlen};
    char *cm = translator_comment(t, comment ? comment : "Parameters");
    if (!cm) {
        snprintf(err, errlen, "out of memory while translating parameters");
        return NULL;
    }
    sb_adds(&c.b, cm);
    sb_add(&c.b, "\n", 1);
    free(cm);
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)params, name, v)
    {
        const char *raw_text = json_string_value(json_object_get(raw, name));
        char *value = raw_text ? strdup(raw_text) : translator_value(t, v, err, errlen);
        if (!value) {
            c.failed = 1;
            break;
        }
        const char *n = name;
        while (t->strip_underscores && *n == '_')
            n++;
        add_format(&c.b, t->assign_fmt, n, value);
        sb_adds(&c.b, t->line_end);
        sb_add(&c.b, "\n", 1);
        free(value);
    }
    return finish(&c);
}
