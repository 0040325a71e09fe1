/* pyjson_loads: a JSON reader that accepts what Python's json.loads accepts
 * and keeps what jansson cannot hold as pyjson literals (see pyjson.h). */
#include "pyjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    int flags;
    int depth;
    const char *msg; /* first error; parsing stops there */
    size_t errpos;
};

/* Growable byte buffer for decoded strings with escapes. */
struct sbuf {
    char *p;
    size_t n, cap;
};

static int sbuf_add(struct sbuf *b, const char *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return 0;
}

static json_t *fail(struct parser *p, const char *msg, size_t pos)
{
    if (!p->msg) {
        p->msg = msg;
        p->errpos = pos;
    }
    return NULL;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid:
 * overlong forms, surrogates and code points above U+10FFFF are refused. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned min;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the string starting at the opening quote into *b (b->n bytes).
 * Returns 0, or -1 with the parser error set. */
static int parse_string_into(struct parser *p, struct sbuf *b)
{
    size_t start = p->pos;
    p->pos++;
    b->n = 0;
    for (;;) {
        size_t run = p->pos;
        while (p->pos < p->len) {
            unsigned char c = (unsigned char)p->s[p->pos];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                break;
            p->pos++;
        }
        if (p->pos > run && sbuf_add(b, p->s + run, p->pos - run) < 0)
            return fail(p, "out of memory", p->pos), -1;
        if (p->pos >= p->len)
            return fail(p, "Unterminated string starting", start), -1;
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail(p, "Invalid control character", p->pos), -1;
        if (c >= 0x80) {
            size_t n = utf8_seq_len((const unsigned char *)p->s + p->pos, p->len - p->pos);
            if (!n)
                return fail(p, "Invalid UTF-8 byte", p->pos), -1;
            if (sbuf_add(b, p->s + p->pos, n) < 0)
                return fail(p, "out of memory", p->pos), -1;
            p->pos += n;
            continue;
        }
        /* backslash escape */
        size_t esc = p->pos;
        if (p->pos + 1 >= p->len)
            return fail(p, "Unterminated string starting", start), -1;
        char e = p->s[p->pos + 1];
        char out[4];
        size_t outn = 1;
        p->pos += 2;
        switch (e) {
        case '"': out[0] = '"'; break;
        case '\\': out[0] = '\\'; break;
        case '/': out[0] = '/'; break;
        case 'b': out[0] = '\b'; break;
        case 'f': out[0] = '\f'; break;
        case 'n': out[0] = '\n'; break;
        case 'r': out[0] = '\r'; break;
        case 't': out[0] = '\t'; break;
        case 'u': {
            unsigned cp;
            if (p->pos + 4 > p->len || hex4(p->s + p->pos, &cp) < 0)
                return fail(p, "Invalid \\uXXXX escape", esc), -1;
            p->pos += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->pos + 6 <= p->len && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' &&
                    hex4(p->s + p->pos + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p->pos += 6;
                } else {
                    return fail(p, "Lone surrogate \\u escape (cannot be written as UTF-8)", esc), -1;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(p, "Lone surrogate \\u escape (cannot be written as UTF-8)", esc), -1;
            }
            outn = put_utf8(out, cp);
            break;
        }
        default:
            return fail(p, "Invalid \\escape", esc), -1;
        }
        if (sbuf_add(b, out, outn) < 0)
            return fail(p, "out of memory", esc), -1;
    }
}

static json_t *parse_value(struct parser *p);

static json_t *parse_number(struct parser *p)
{
    size_t start = p->pos, i = p->pos;
    int is_float = 0;
    if (i < p->len && p->s[i] == '-')
        i++;
    if (i < p->len && p->s[i] == '0') {
        i++;
    } else if (i < p->len && p->s[i] >= '1' && p->s[i] <= '9') {
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    } else {
        if (p->flags & PYJSON_STRICT || i + 8 > p->len || memcmp(p->s + i, "Infinity", 8) != 0)
            return fail(p, "Expecting value", start);
        p->pos = i + 8;
        return pyjson_float(-INFINITY);
    }
    if (i + 1 < p->len && p->s[i] == '.' && p->s[i + 1] >= '0' && p->s[i + 1] <= '9') {
        is_float = 1;
        i++;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9')
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (p->s[j] == '+' || p->s[j] == '-'))
            j++;
        if (j < p->len && p->s[j] >= '0' && p->s[j] <= '9') {
            is_float = 1;
            while (j < p->len && p->s[j] >= '0' && p->s[j] <= '9')
                j++;
            i = j;
        }
    }
    p->pos = i;
    if (!is_float) {
        json_t *v = pyjson_int_from_text(p->s + start, i - start);
        return v ? v : fail(p, "Exceeds the limit (4300 digits) for integer string conversion", start);
    }
    char small[64];
    char *buf = i - start < sizeof small ? small : malloc(i - start + 1);
    if (!buf)
        return fail(p, "out of memory", start);
    memcpy(buf, p->s + start, i - start);
    buf[i - start] = '\0';
    double d = strtod(buf, NULL); /* overflow gives +-HUGE_VAL = inf, as float() */
    if (buf != small)
        free(buf);
    return pyjson_float(d);
}

static int match_word(struct parser *p, const char *w)
{
    size_t n = strlen(w);
    if (p->pos + n <= p->len && memcmp(p->s + p->pos, w, n) == 0) {
        p->pos += n;
        return 1;
    }
    return 0;
}

static json_t *parse_object(struct parser *p, struct sbuf *key)
{
    json_t *obj = json_object();
    if (!obj)
        return fail(p, "out of memory", p->pos);
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return obj;
    }
    for (;;) {
        if (p->pos >= p->len || p->s[p->pos] != '"')
            goto bad_key;
        if (parse_string_into(p, key) < 0)
            goto out;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            fail(p, "Expecting ':' delimiter", p->pos);
            goto out;
        }
        p->pos++;
        skip_ws(p);
        /* the key is copied before the value may reuse the buffer */
        char *k = malloc(key->n + 1);
        if (!k) {
            fail(p, "out of memory", p->pos);
            goto out;
        }
        memcpy(k, key->p ? key->p : "", key->n);
        size_t kn = key->n;
        json_t *v = parse_value(p);
        if (!v || json_object_setn_new_nocheck(obj, k, kn, v) < 0) {
            free(k);
            fail(p, "out of memory", p->pos);
            goto out;
        }
        free(k);
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return obj;
        }
        if (p->pos >= p->len || p->s[p->pos] != ',') {
            fail(p, "Expecting ',' delimiter", p->pos);
            goto out;
        }
        p->pos++;
        skip_ws(p);
    }
bad_key:
    fail(p, "Expecting property name enclosed in double quotes", p->pos);
out:
    json_decref(obj);
    return NULL;
}

static json_t *parse_array(struct parser *p)
{
    json_t *arr = json_array();
    if (!arr)
        return fail(p, "out of memory", p->pos);
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return arr;
    }
    for (;;) {
        json_t *v = parse_value(p);
        if (!v || json_array_append_new(arr, v) < 0) {
            fail(p, "out of memory", p->pos);
            json_decref(arr);
            return NULL;
        }
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return arr;
        }
        if (p->pos >= p->len || p->s[p->pos] != ',') {
            json_decref(arr);
            return fail(p, "Expecting ',' delimiter", p->pos);
        }
        p->pos++;
        skip_ws(p);
    }
}

static json_t *parse_value(struct parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, "Expecting value", p->pos);
    char c = p->s[p->pos];
    if (c == '"') {
        struct sbuf b = {0};
        json_t *v = NULL;
        if (parse_string_into(p, &b) == 0) {
            v = json_stringn_nocheck(b.p ? b.p : "", b.n);
            if (!v)
                fail(p, "out of memory", p->pos);
        }
        free(b.p);
        return v;
    }
    if (c == '{' || c == '[') {
        if (++p->depth > PYJSON_MAX_DEPTH)
            return fail(p, "Nesting too deep", p->pos);
        json_t *v;
        if (c == '{') {
            struct sbuf key = {0};
            v = parse_object(p, &key);
            free(key.p);
        } else {
            v = parse_array(p);
        }
        p->depth--;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (match_word(p, "null"))
        return json_null();
    if (match_word(p, "true"))
        return json_true();
    if (match_word(p, "false"))
        return json_false();
    if (!(p->flags & PYJSON_STRICT)) {
        if (match_word(p, "NaN"))
            return pyjson_float(NAN);
        if (match_word(p, "Infinity"))
            return pyjson_float(INFINITY);
    }
    return fail(p, "Expecting value", p->pos);
}

/* Line and column (1-based, characters) of byte offset pos. */
static void locate(const char *s, size_t pos, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < pos; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

json_t *pyjson_loads(const char *text, size_t len, int flags, char *err, size_t errlen)
{
    struct parser p = {.s = text, .len = len, .flags = flags};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        snprintf(err, errlen, "Unexpected UTF-8 BOM at line 1 column 1");
        return NULL;
    }
    json_t *v = parse_value(&p);
    if (v) {
        skip_ws(&p);
        if (p.pos < p.len) {
            json_decref(v);
            v = fail(&p, "Extra data", p.pos);
        }
    }
    if (!v) {
        size_t line, col;
        if (!p.msg)
            p.msg = "out of memory";
        locate(text, p.errpos, &line, &col);
        snprintf(err, errlen, "%s at line %zu column %zu", p.msg, line, col);
    }
    return v;
}
