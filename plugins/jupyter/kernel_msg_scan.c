/* kernel_msg_scan: a JSON well-formedness check that records where a few
 * top-level string values are.  A message header is a flat dict read for
 * three strings, and parsing it into a tree was most of the transport's
 * cost per message. */
#include "kernel_msg_scan.h"

#include <string.h>

#define MAX_DEPTH 64

struct cur {
    const char *p, *end;
};

static void skip_ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int is_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* At a '"': moves past the closing quote.  Sets *raw to the contents when
 * they hold no escape (else NULL). */
static int skip_string(struct cur *c, const char **raw, size_t *rawlen)
{
    const char *start = ++c->p;
    int escaped = 0;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p;
        if (ch < 0x20)
            return -1;
        if (ch == '\\') {
            escaped = 1;
            if (++c->p >= c->end)
                return -1;
            if (*c->p == 'u') {
                if (c->end - c->p < 5 || !is_hex(c->p[1]) || !is_hex(c->p[2]) || !is_hex(c->p[3]) ||
                    !is_hex(c->p[4]))
                    return -1;
                c->p += 4;
            } else if (!strchr("\"\\/bfnrt", *c->p)) {
                return -1;
            }
        }
        c->p++;
    }
    if (c->p >= c->end)
        return -1;
    *raw = escaped ? NULL : start;
    *rawlen = (size_t)(c->p - start);
    c->p++;
    return 0;
}

static int skip_literal(struct cur *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return -1;
    c->p += n;
    return 0;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int skip_number(struct cur *c)
{
    const char *q = c->p;
    if (q < c->end && *q == '-')
        q++;
    if (q >= c->end || *q < '0' || *q > '9')
        return -1;
    if (*q == '0')
        q++;
    else
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
    if (q < c->end && *q == '.') {
        if (++q >= c->end || *q < '0' || *q > '9')
            return -1;
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < c->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < c->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= c->end || *q < '0' || *q > '9')
            return -1;
        while (q < c->end && *q >= '0' && *q <= '9')
            q++;
    }
    c->p = q;
    return 0;
}

static int skip_value(struct cur *c, int depth);

/* At '{' or '['.  With fields (top level only), records the wanted keys. */
static int skip_container(struct cur *c, int depth, struct scan_field *fields, size_t n_fields)
{
    char close = *c->p == '{' ? '}' : ']';
    int object = close == '}';
    if (depth >= MAX_DEPTH)
        return -1;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        const char *key = NULL;
        size_t keylen = 0;
        if (object) {
            if (c->p >= c->end || *c->p != '"' || skip_string(c, &key, &keylen) != 0)
                return -1;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':')
                return -1;
            c->p++;
            skip_ws(c);
        }
        struct scan_field *want = NULL;
        for (size_t i = 0; key && i < n_fields; i++)
            if (strlen(fields[i].key) == keylen && memcmp(fields[i].key, key, keylen) == 0)
                want = &fields[i];
        if (want) {
            if (c->p >= c->end || *c->p != '"' || skip_string(c, &want->value, &want->len) != 0 ||
                !want->value)
                return -1;
        } else if (skip_value(c, depth + 1) != 0) {
            return -1;
        }
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            skip_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        return -1;
    }
}

static int skip_value(struct cur *c, int depth)
{
    const char *raw;
    size_t rawlen;
    if (c->p >= c->end)
        return -1;
    switch (*c->p) {
    case '{':
    case '[':
        return skip_container(c, depth, NULL, 0);
    case '"':
        return skip_string(c, &raw, &rawlen);
    case 't':
        return skip_literal(c, "true");
    case 'f':
        return skip_literal(c, "false");
    case 'n':
        return skip_literal(c, "null");
    default:
        return skip_number(c);
    }
}

int kernel_msg_scan(const char *p, size_t n, struct scan_field *fields, size_t n_fields)
{
    struct cur c = {p, p + n};
    for (size_t i = 0; i < n_fields; i++) {
        fields[i].value = NULL;
        fields[i].len = 0;
    }
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{' || skip_container(&c, 0, fields, n_fields) != 0)
        return -1;
    skip_ws(&c);
    return c.p == c.end ? 0 : -1;
}
