/* One match.* test: `exists`, `~ /re/flags`, `regex:re`, `= text`, `text`,
 * each with an optional `!`. */
#include "route_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void trim_left(const char **s)
{
    while (isspace((unsigned char)**s))
        (*s)++;
}

/* Compiles `/pattern/flags` or a bare pattern; the message carries the
 * pattern, PCRE2's offset and its text. */
static pcre2_code *compile_regex(const char *src, size_t len, uint32_t flags,
                                 char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, len, PCRE2_UTF | flags, &code, &off, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        snprintf(err, errlen, "bad regex /%.*s/ at offset %zu: %s", (int)len, src,
                 (size_t)off, (const char *)msg);
    }
    return re;
}

int route_cond_parse(const char *value, struct route_pred *pr, int *negate,
                     char *err, size_t errlen)
{
    const char *v = value;
    trim_left(&v);
    *negate = 0;
    if (*v == '!') {
        *negate = 1;
        v++;
        trim_left(&v);
        if (*v == '!') {
            snprintf(err, errlen, "'%s': one '!' at most", value);
            return -1;
        }
    }
    if (*v == '\0') {
        snprintf(err, errlen, "empty test: write exists, ~ /regex/, = text or text");
        return -1;
    }
    uint32_t flags = 0;
    const char *pat = NULL;
    size_t pat_len = 0;
    if (strcmp(v, "exists") == 0) {
        pr->op = PRED_EXISTS;
        return 0;
    } else if (*v == '~') {
        v++;
        trim_left(&v);
        const char *last = strrchr(v, '/');
        if (*v != '/' || last == v) {
            snprintf(err, errlen, "'%s': write a regex as ~ /pattern/flags", value);
            return -1;
        }
        pat = v + 1;
        pat_len = (size_t)(last - pat);
        for (const char *f = last + 1; *f != '\0'; f++) {
            if (*f == 'i')
                flags |= PCRE2_CASELESS;
            else if (*f == 'm')
                flags |= PCRE2_MULTILINE;
            else if (*f == 's')
                flags |= PCRE2_DOTALL;
            else if (*f == 'x')
                flags |= PCRE2_EXTENDED;
            else if (!isspace((unsigned char)*f)) {
                snprintf(err, errlen, "'%s': unknown regex flag '%c' (i m s x)", value, *f);
                return -1;
            }
        }
    } else if (strncmp(v, "regex:", 6) == 0) {
        pat = v + 6;
        pat_len = strlen(pat);
    }
    if (pat != NULL) {
        pr->op = PRED_REGEX;
        pr->re = compile_regex(pat, pat_len, flags, err, errlen);
        if (pr->re == NULL)
            return -1;
        pr->jit = pcre2_jit_compile(pr->re, PCRE2_JIT_COMPLETE) == 0;
        /* A case-sensitive pattern without any metacharacter is a substring
         * search (`~ /misp-galaxy:ransomware="LockBit"/`): memmem, same result. */
        pr->literal = flags == 0 && strcspn(pat, "\\^$.[]|()?*+{}") >= pat_len;
        pr->re_flags = flags;
        pr->operand = strndup(pat, pat_len);
        pr->operand_len = pat_len;
        return 0;
    }
    if (*v == '=') {
        v++;
        trim_left(&v);
    }
    pr->op = PRED_EQ;
    pr->operand = strdup(v);
    pr->operand_len = strlen(v);
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    pr->operand_is_int = *v != '\0' && *end == '\0' && errno == 0;
    pr->operand_int = (json_int_t)n;
    errno = 0;
    pr->operand_real = strtod(v, &end);
    pr->operand_is_real = *v != '\0' && *end == '\0' && errno == 0;
    return 0;
}
