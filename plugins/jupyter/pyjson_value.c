/* pyjson literals (big ints, non-finite floats) and Python's float repr. */
#include "pyjson.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *literal_new(const char *text, size_t len)
{
    json_t *obj = json_object();
    json_t *s = json_stringn_nocheck(text, len);
    if (!obj || !s || json_object_setn_new_nocheck(obj, PYJSON_LITERAL_KEY, 1, s) < 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static const char *literal_text(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    json_t *s = json_object_getn(v, PYJSON_LITERAL_KEY, 1);
    return json_is_string(s) ? json_string_value(s) : NULL;
}

int pyjson_is_literal(const json_t *v)
{
    return literal_text(v) != NULL;
}

json_t *pyjson_int_from_text(const char *text, size_t len)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        neg = text[i++] == '-';
    while (i + 1 < len && text[i] == '0')
        i++;
    if (i >= len)
        return NULL;
    for (size_t j = i; j < len; j++)
        if (text[j] < '0' || text[j] > '9')
            return NULL;
    size_t ndig = len - i;
    if (ndig > PYJSON_MAX_INT_DIGITS)
        return NULL;
    if (ndig <= 18) {
        json_int_t v = 0;
        for (size_t j = i; j < len; j++)
            v = v * 10 + (text[j] - '0');
        return json_integer(neg ? -v : v);
    }
    char *buf = malloc(ndig + 2);
    if (!buf)
        return NULL;
    size_t n = 0;
    if (neg)
        buf[n++] = '-';
    memcpy(buf + n, text + i, ndig);
    n += ndig;
    buf[n] = '\0';
    json_t *out;
    errno = 0;
    long long ll = strtoll(buf, NULL, 10);
    if (errno == 0)
        out = json_integer((json_int_t)ll);
    else
        out = literal_new(buf, n);
    free(buf);
    return out;
}

const char *pyjson_bigint_digits(const json_t *v)
{
    const char *t = literal_text(v);
    if (!t)
        return NULL;
    if ((t[0] >= '0' && t[0] <= '9') || (t[0] == '-' && t[1] >= '0' && t[1] <= '9'))
        return t;
    return NULL;
}

int pyjson_is_bigint(const json_t *v)
{
    return pyjson_bigint_digits(v) != NULL;
}

int pyjson_is_int(const json_t *v)
{
    return json_is_integer(v) || pyjson_is_bigint(v);
}

json_t *pyjson_float(double d)
{
    if (isnan(d))
        return literal_new("NaN", 3);
    if (isinf(d))
        return d > 0 ? literal_new("Infinity", 8) : literal_new("-Infinity", 9);
    return json_real(d);
}

int pyjson_is_float(const json_t *v)
{
    if (json_is_real(v))
        return 1;
    const char *t = literal_text(v);
    return t && (!strcmp(t, "NaN") || !strcmp(t, "Infinity") || !strcmp(t, "-Infinity"));
}

double pyjson_float_value(const json_t *v)
{
    if (json_is_real(v))
        return json_real_value(v);
    const char *t = literal_text(v);
    if (t && !strcmp(t, "Infinity"))
        return INFINITY;
    if (t && !strcmp(t, "-Infinity"))
        return -INFINITY;
    return NAN;
}

/* Shortest digit string that reads back as d: try each precision in turn;
 * printf rounds correctly, so the first match is also the nearest among the
 * shortest, as Python's repr (David Gay's mode 0). */
void pyjson_float_repr(double d, char out[32])
{
    if (isnan(d)) {
        strcpy(out, "nan");
        return;
    }
    if (isinf(d)) {
        strcpy(out, d > 0 ? "inf" : "-inf");
        return;
    }
    if (d == 0) {
        strcpy(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char sci[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, d);
        if (strtod(sci, NULL) == d)
            break;
    }
    /* sci is "-d.ddde+XX": collect sign, digits and exponent */
    const char *p = sci;
    int neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp = atoi(p + 1); /* value = 0.d1d2... * 10^(exp+1) */
    char *o = out;
    if (neg)
        *o++ = '-';
    if (exp >= -4 && exp < 16) {
        if (exp < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -exp - 1; i++)
                *o++ = '0';
            memcpy(o, digits, (size_t)nd);
            o += nd;
        } else {
            for (int i = 0; i <= exp; i++)
                *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > exp + 1) {
                memcpy(o, digits + exp + 1, (size_t)(nd - exp - 1));
                o += nd - exp - 1;
            } else {
                *o++ = '0';
            }
        }
        *o = '\0';
    } else {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)(nd - 1));
            o += nd - 1;
        }
        snprintf(o, (size_t)(out + 32 - o), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    }
}
