/* Python's int(str) / float(str) semantics (see py_number.h). */
#include "py_number.h"
#include "pyjson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PY_INT_MAX_STR_DIGITS 4300

/* Code points of Unicode decimal digit zeros (Nd, each followed by 1-9),
 * as Python 3.11's unicodedata.decimal knows them. */
static const uint32_t digit_zeros[] = {
    0x30,    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,   0xc66,
    0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,  0x1810,  0x1946,
    0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,  0xa8d0,  0xa900,  0xa9d0,
    0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0,
    0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60,
    0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
};

static int is_py_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* Python's _PyUnicode_TransformDecimalAndSpaceToASCII followed by strip():
 * whitespace becomes ' ', decimal digits their ASCII digit, any other
 * non-ASCII character '?', which no grammar accepts.  OWNED; NULL when
 * the input is not valid UTF-8 or on ENOMEM. */
static char *to_ascii_stripped(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp = u[i];
        size_t k = 1;
        if (cp >= 0x80) {
            k = cp >= 0xF0 ? 4 : cp >= 0xE0 ? 3 : cp >= 0xC0 ? 2 : 0;
            if (!k || i + k > len) {
                free(out);
                return NULL;
            }
            cp &= 0x3Fu >> (k - 1);
            for (size_t j = 1; j < k; j++)
                cp = (cp << 6) | (u[i + j] & 0x3Fu);
        }
        char c = cp < 0x80 ? (char)cp : '?';
        /* ASCII stays as is (Python strips only " \t\n\v\f\r" of it);
         * non-ASCII whitespace becomes a space */
        if (cp >= 0x80 ? is_py_space(cp) : (cp == ' ' || (cp >= 0x09 && cp <= 0x0d)))
            c = ' ';
        for (size_t z = 1; cp >= 0x80 && z < sizeof digit_zeros / sizeof digit_zeros[0]; z++)
            if (cp >= digit_zeros[z] && cp < digit_zeros[z] + 10)
                c = (char)('0' + (cp - digit_zeros[z]));
        if (!cp)
            c = '?';
        out[n++] = c;
        i += k;
    }
    size_t a = 0;
    while (a < n && out[a] == ' ')
        a++;
    while (n > a && out[n - 1] == ' ')
        n--;
    memmove(out, out + a, n - a);
    n -= a;
    out[n] = '\0';
    *outlen = n;
    return out;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

void pybig_muladd(struct pybig *b, uint32_t mul, uint32_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->limb[i] * mul + carry;
        b->limb[i] = (uint32_t)(t % 1000000000u);
        carry = t / 1000000000u;
    }
    while (carry && !b->oom) {
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 4;
            uint32_t *nl = realloc(b->limb, cap * sizeof *nl);
            if (!nl) {
                b->oom = 1;
                return;
            }
            b->limb = nl;
            b->cap = cap;
        }
        b->limb[b->n++] = (uint32_t)(carry % 1000000000u);
        carry /= 1000000000u;
    }
}

json_t *pybig_to_json(struct pybig *b, int negative)
{
    json_t *out = NULL;
    char *text = b->oom ? NULL : malloc(b->n * 9 + 3);
    if (text) {
        size_t n = 0;
        if (negative)
            text[n++] = '-';
        if (b->n == 0)
            text[n++] = '0';
        for (size_t i = b->n; i-- > 0;)
            n += (size_t)sprintf(text + n, i == b->n - 1 ? "%u" : "%09u", b->limb[i]);
        out = pyjson_int_from_text(text, n);
        free(text);
    }
    free(b->limb);
    b->limb = NULL;
    b->n = b->cap = 0;
    return out;
}

json_t *py_int_from_str(const char *s, size_t len, unsigned base, char *err, size_t errlen)
{
    size_t n;
    char *a = to_ascii_stripped(s, len, &n);
    size_t i = 0, ndigits = 0;
    int neg = 0, ok = a != NULL;
    if (ok && i < n && (a[i] == '+' || a[i] == '-'))
        neg = a[i++] == '-';
    int prefixed = 0;
    if (ok && base != 10 && i + 1 < n && a[i] == '0') {
        char p = (char)(a[i + 1] | 0x20);
        if ((base == 16 && p == 'x') || (base == 8 && p == 'o') || (base == 2 && p == 'b')) {
            i += 2;
            prefixed = 1;
        }
    }
    struct pybig big = {0};
    /* an underscore may follow a base prefix or sit between two digits */
    int prev_digit = prefixed;
    for (; ok && i < n; i++) {
        if (a[i] == '_') {
            ok = prev_digit && i + 1 < n && a[i + 1] != '_';
            prev_digit = 0;
            continue;
        }
        int d = digit_value(a[i]);
        ok = d < (int)base;
        if (ok)
            pybig_muladd(&big, base, (uint32_t)d);
        ndigits++;
        prev_digit = 1;
    }
    ok = ok && ndigits > 0;
    if (!ok || (base == 10 && ndigits > PY_INT_MAX_STR_DIGITS)) {
        if (ok)
            snprintf(err, errlen,
                     "Exceeds the limit (%d digits) for integer string conversion: value has %zu digits; use "
                     "sys.set_int_max_str_digits() to increase the limit",
                     PY_INT_MAX_STR_DIGITS, ndigits);
        else
            snprintf(err, errlen, "invalid literal for int() with base %u: '%.*s'", base, (int)(len > 200 ? 200 : len),
                     s);
        free(big.limb);
        free(a);
        return NULL;
    }
    free(a);
    json_t *v = pybig_to_json(&big, neg);
    if (!v)
        snprintf(err, errlen, "int too large: more than %d digits, Python's limit for converting it to text",
                 PYJSON_MAX_INT_DIGITS);
    return v;
}

/* Digits with single underscores between them; returns the end index and
 * appends the digits to out. */
static size_t scan_digits(const char *a, size_t i, size_t n, char *out, size_t *o, int *count)
{
    *count = 0;
    while (i < n) {
        if (a[i] >= '0' && a[i] <= '9') {
            out[(*o)++] = a[i++];
            (*count)++;
        } else if (a[i] == '_' && *count && i + 1 < n && a[i + 1] >= '0' && a[i + 1] <= '9') {
            i++;
        } else {
            break;
        }
    }
    return i;
}

int py_float_from_str(const char *s, size_t len, double *out)
{
    size_t n;
    char *a = to_ascii_stripped(s, len, &n);
    if (!a)
        return -1;
    char *clean = malloc(n + 2);
    if (!clean) {
        free(a);
        return -1;
    }
    size_t i = 0, o = 0;
    int rc = -1;
    if (i < n && (a[i] == '+' || a[i] == '-'))
        clean[o++] = a[i++];
    const char *rest = a + i;
    if (!strcasecmp(rest, "inf") || !strcasecmp(rest, "infinity")) {
        *out = o && clean[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        rc = 0;
    } else if (!strcasecmp(rest, "nan")) {
        *out = NAN;
        rc = 0;
    } else {
        int intd, fracd = 0, expd = 1;
        i = scan_digits(a, i, n, clean, &o, &intd);
        if (i < n && a[i] == '.') {
            clean[o++] = a[i++];
            i = scan_digits(a, i, n, clean, &o, &fracd);
        }
        if (intd + fracd > 0 && i < n && (a[i] == 'e' || a[i] == 'E')) {
            clean[o++] = a[i++];
            if (i < n && (a[i] == '+' || a[i] == '-'))
                clean[o++] = a[i++];
            i = scan_digits(a, i, n, clean, &o, &expd);
        }
        clean[o] = '\0';
        if (intd + fracd > 0 && expd > 0 && i == n) {
            *out = strtod(clean, NULL);
            rc = 0;
        }
    }
    free(clean);
    free(a);
    return rc;
}
