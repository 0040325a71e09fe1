#include "vault.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "redact.h"

#define VAULT_MAX_BYTES (1024 * 1024)

struct vault {
    char *path;
    json_t *values; /* name -> value */
    json_t *broken; /* name -> null, for names on lines that failed */
};

/* Parser state: a cursor over the whole text (triple-quoted strings may
 * span lines) with the current line number. */
struct parser {
    const char *path;
    const char *p;
    int line;
    struct diags *d;
};

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (grown == NULL) {
            b->oom = 1;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static int sb_utf8(struct sbuf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_add(b, u, n);
    return 0;
}

static void skip_blanks(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\f')
        ps->p++;
}

/* Reads exactly `digits` hex digits; -1 if they are not there. */
static long read_hex(const char *s, int digits)
{
    long v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return -1;
        v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
    }
    return v;
}

/* One escape after a backslash at ps->p (pointing past the '\').
 * Returns 0, or -1 after reporting. */
static int parse_escape(struct parser *ps, struct sbuf *b, const char *name)
{
    char c = *ps->p;
    const char *simple = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    for (const char *s = simple; *s; s += 2) {
        if (c == s[0]) {
            sb_add(b, &s[1], 1);
            ps->p++;
            return 0;
        }
    }
    if (c == '\n') { /* backslash-newline continues the string */
        ps->line++;
        ps->p++;
        return 0;
    }
    if (c >= '0' && c <= '7') {
        unsigned long cp = 0;
        for (int i = 0; i < 3 && *ps->p >= '0' && *ps->p <= '7'; i++)
            cp = cp * 8 + (unsigned long)(*ps->p++ - '0');
        if (sb_utf8(b, cp) < 0) {
            diags_add(ps->d, ps->path, ps->line, "'%s': NUL character in string not allowed", name);
            return -1;
        }
        return 0;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (digits > 0) {
        long cp = read_hex(ps->p + 1, digits);
        if (cp < 0) {
            diags_add(ps->d, ps->path, ps->line, "'%s': \\%c escape needs %d hex digits", name, c,
                      digits);
            return -1;
        }
        if (sb_utf8(b, (unsigned long)cp) < 0) {
            diags_add(ps->d, ps->path, ps->line,
                      "'%s': \\%c escape is not a valid character (NUL, surrogate or beyond U+10FFFF)",
                      name, c);
            return -1;
        }
        ps->p += 1 + digits;
        return 0;
    }
    if (c == 'N') {
        diags_add(ps->d, ps->path, ps->line, "'%s': \\N{...} escapes are not supported; use \\u",
                  name);
        return -1;
    }
    if (c == '\0') {
        diags_add(ps->d, ps->path, ps->line, "'%s': unterminated string", name);
        return -1;
    }
    /* Python keeps unknown escapes such as "\d" as they are. */
    sb_add(b, "\\", 1);
    return 0;
}

/* One string literal (prefix already consumed) appended to b. */
static int parse_string(struct parser *ps, struct sbuf *b, int raw, const char *name)
{
    char q = *ps->p;
    int triple = ps->p[1] == q && ps->p[2] == q;
    int start_line = ps->line;
    ps->p += triple ? 3 : 1;
    for (;;) {
        char c = *ps->p;
        if (c == '\0') {
            diags_add(ps->d, ps->path, start_line, "'%s': unterminated string", name);
            return -1;
        }
        if (c == q && (!triple || (ps->p[1] == q && ps->p[2] == q))) {
            ps->p += triple ? 3 : 1;
            return 0;
        }
        if (c == '\n') {
            if (!triple) {
                diags_add(ps->d, ps->path, ps->line,
                          "'%s': unterminated string (a newline inside '...'; use \\n or triple quotes)",
                          name);
                return -1;
            }
            ps->line++;
        }
        if (c == '\\' && raw) {
            /* Raw strings keep the backslash, but it still protects a quote. */
            sb_add(b, ps->p, ps->p[1] != '\0' ? 2 : 1);
            if (ps->p[1] == '\n')
                ps->line++;
            ps->p += ps->p[1] != '\0' ? 2 : 1;
            continue;
        }
        if (c == '\\') {
            ps->p++;
            if (parse_escape(ps, b, name) < 0)
                return -1;
            continue;
        }
        sb_add(b, ps->p, 1);
        ps->p++;
    }
}

/* A string prefix (r, u, R, U) directly followed by a quote. */
static int string_start(const char *p, int *raw)
{
    *raw = 0;
    if (*p == '"' || *p == '\'')
        return 0;
    if ((*p == 'r' || *p == 'R' || *p == 'u' || *p == 'U') && (p[1] == '"' || p[1] == '\'')) {
        *raw = *p == 'r' || *p == 'R';
        return 1;
    }
    return -1;
}

/* Adjacent literals concatenate, as in Python: "abc" 'def'. */
static json_t *parse_strings(struct parser *ps, const char *name)
{
    struct sbuf b = {0};
    int raw, prefix;
    sb_add(&b, "", 0);
    while ((prefix = string_start(ps->p, &raw)) >= 0) {
        ps->p += prefix;
        if (parse_string(ps, &b, raw, name) < 0) {
            free(b.p);
            return NULL;
        }
        skip_blanks(ps);
    }
    if (b.oom) {
        diags_add(ps->d, ps->path, ps->line, "'%s': out of memory", name);
        free(b.p);
        return NULL;
    }
    json_t *s = json_stringn(b.p, b.len);
    if (s == NULL)
        diags_add(ps->d, ps->path, ps->line, "'%s': string is not valid UTF-8", name);
    free(b.p);
    return s;
}

static json_t *parse_number(struct parser *ps, const char *name)
{
    const char *start = ps->p;
    const char *end = start;
    while (isalnum((unsigned char)*end) || *end == '_' || *end == '.' || *end == '+' || *end == '-') {
        /* a sign is part of the number only at its start or after an exponent */
        if ((*end == '+' || *end == '-') && end != start && tolower((unsigned char)end[-1]) != 'e')
            break;
        end++;
    }
    char tok[128];
    size_t n = 0;
    for (const char *s = start; s < end && n + 1 < sizeof(tok); s++)
        if (*s != '_')
            tok[n++] = *s;
    tok[n] = '\0';
    ps->p = end;
    const char *digits = tok + (tok[0] == '-' || tok[0] == '+');
    int base = 10;
    if (digits[0] == '0' && strchr("xXoObB", digits[1]) != NULL && digits[1] != '\0')
        base = strchr("xX", digits[1]) ? 16 : strchr("oO", digits[1]) ? 8 : 2;
    errno = 0;
    char *stop = NULL;
    if (base != 10) {
        long long v = strtoll(digits + 2, &stop, base);
        if (digits + 2 != stop && *stop == '\0' && errno == 0)
            return json_integer(tok[0] == '-' ? -v : v);
    } else if (digits[0] != '\0' && strspn(digits, "0123456789") == strlen(digits)) {
        long long v = strtoll(tok, &stop, 10);
        if (errno == 0 && (digits[0] != '0' || strspn(digits, "0") == strlen(digits)))
            return json_integer(v);
    } else if (strpbrk(digits, "0123456789") != NULL && strspn(digits, "0123456789.eE+-") == strlen(digits)) {
        double v = strtod(tok, &stop);
        if (*stop == '\0' && errno == 0)
            return json_real(v);
    }
    diags_add(ps->d, ps->path, ps->line, "'%s': '%.*s' is not a number", name, (int)(end - start),
              start);
    return NULL;
}

static int word_is(const char *p, const char *word)
{
    size_t n = strlen(word);
    return strncmp(p, word, n) == 0 && !isalnum((unsigned char)p[n]) && p[n] != '_';
}

static json_t *parse_value(struct parser *ps, const char *name)
{
    int raw;
    if (string_start(ps->p, &raw) >= 0)
        return parse_strings(ps, name);
    if (word_is(ps->p, "True")) {
        ps->p += 4;
        return json_true();
    }
    if (word_is(ps->p, "False")) {
        ps->p += 5;
        return json_false();
    }
    if (word_is(ps->p, "None")) {
        ps->p += 4;
        return json_null();
    }
    if (isdigit((unsigned char)*ps->p) || *ps->p == '.' ||
        ((*ps->p == '-' || *ps->p == '+') && (isdigit((unsigned char)ps->p[1]) || ps->p[1] == '.')))
        return parse_number(ps, name);
    size_t n = strcspn(ps->p, "\n");
    diags_add(ps->d, ps->path, ps->line,
              "'%s': unsupported value '%.*s' (only strings, numbers, True, False and None)", name,
              (int)(n > 40 ? 40 : n), ps->p);
    return NULL;
}

static void skip_to_next_line(struct parser *ps)
{
    while (*ps->p != '\0' && *ps->p != '\n')
        ps->p++;
}

/* One `NAME = value` statement, or a blank/comment line. */
static void parse_statement(struct parser *ps, struct vault *v)
{
    skip_blanks(ps);
    if (*ps->p == '#' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\0') {
        skip_to_next_line(ps);
        return;
    }
    char name[128];
    size_t n = 0;
    if (isalpha((unsigned char)*ps->p) || *ps->p == '_')
        while ((isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_') && n + 1 < sizeof(name))
            n++;
    if (n == 0) {
        size_t len = strcspn(ps->p, "\n");
        diags_add(ps->d, ps->path, ps->line, "expected NAME = value, found '%.*s'",
                  (int)(len > 40 ? 40 : len), ps->p);
        skip_to_next_line(ps);
        return;
    }
    memcpy(name, ps->p, n);
    name[n] = '\0';
    ps->p += n;
    skip_blanks(ps);
    if (*ps->p != '=' || ps->p[1] == '=') {
        diags_add(ps->d, ps->path, ps->line, "expected '=' after '%s' (only NAME = value lines)",
                  name);
        json_object_set_new(v->broken, name, json_null());
        skip_to_next_line(ps);
        return;
    }
    ps->p++;
    skip_blanks(ps);
    json_t *value = parse_value(ps, name);
    if (value != NULL) {
        skip_blanks(ps);
        if (*ps->p == '\r')
            ps->p++;
        if (*ps->p != '\0' && *ps->p != '\n' && *ps->p != '#') {
            size_t len = strcspn(ps->p, "\n");
            diags_add(ps->d, ps->path, ps->line, "'%s': unexpected '%.*s' after the value", name,
                      (int)(len > 40 ? 40 : len), ps->p);
            json_decref(value);
            value = NULL;
        }
    }
    if (value == NULL) {
        json_object_set_new(v->broken, name, json_null());
        skip_to_next_line(ps);
        return;
    }
    if (json_is_string(value))
        redact_add(json_string_value(value));
    json_object_del(v->broken, name);
    json_object_set_new(v->values, name, value);
    skip_to_next_line(ps);
}

struct vault *vault_parse(const char *path, const char *text, struct diags *d)
{
    struct vault *v = calloc(1, sizeof(*v));
    if (v == NULL || (v->path = strdup(path)) == NULL || (v->values = json_object()) == NULL ||
        (v->broken = json_object()) == NULL) {
        diags_add(d, path, 0, "out of memory");
        vault_free(v);
        return NULL;
    }
    struct parser ps = {.path = path, .p = text, .line = 1, .d = d};
    if (strncmp(ps.p, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 BOM, as Python accepts */
        ps.p += 3;
    while (*ps.p != '\0') {
        parse_statement(&ps, v);
        if (*ps.p == '\n') {
            ps.p++;
            ps.line++;
        }
    }
    return v;
}

struct vault *vault_load(const char *path, struct diags *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        diags_add(d, path, 0, "cannot open vault: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        diags_add(d, path, 0, "vault is not a regular file");
        close(fd);
        return NULL;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        diags_add(d, path, 0,
                  "vault is accessible by group or others (mode %04o); refusing to read secrets "
                  "from it: run chmod 600 %s",
                  (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return NULL;
    }
    if (st.st_size > VAULT_MAX_BYTES) {
        diags_add(d, path, 0, "vault larger than %d bytes", VAULT_MAX_BYTES);
        close(fd);
        return NULL;
    }
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (text != NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (text == NULL || got != (size_t)st.st_size) {
        diags_add(d, path, 0, "cannot read vault");
        free(text);
        return NULL;
    }
    text[got] = '\0';
    if (strlen(text) != got) {
        diags_add(d, path, 0, "vault contains a NUL byte (not a text file?)");
        free(text);
        return NULL;
    }
    struct vault *v = vault_parse(path, text, d);
    explicit_bzero(text, got);
    free(text);
    return v;
}

void vault_free(struct vault *v)
{
    if (v == NULL)
        return;
    json_decref(v->values);
    json_decref(v->broken);
    free(v->path);
    free(v);
}

int vault_get(const struct vault *v, const char *name, json_t **out)
{
    json_t *value = v ? json_object_get(v->values, name) : NULL;
    if (value == NULL)
        return -1;
    *out = json_incref(value);
    return 0;
}

int vault_is_broken(const struct vault *v, const char *name)
{
    return v != NULL && json_object_get(v->broken, name) != NULL;
}

const char *vault_path(const struct vault *v)
{
    return v ? v->path : NULL;
}
