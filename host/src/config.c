#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Config files are small; a cap keeps a wrong path (a log, a device) from
 * being slurped into memory. */
#define CONF_MAX_BYTES (4 * 1024 * 1024)

static const char *const kind_names[] = {"host", "source", "executor", "sink", "route"};

const char *conf_kind_name(enum conf_kind kind)
{
    if ((size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]))
        return kind_names[kind];
    return "?";
}

static int is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

static int is_valid_name(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(s[i]))
            return 0;
    return 1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Growable string for ${ENV} expansion. */
struct sbuf {
    char *p;
    size_t len, cap;
};

static int sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (grown == NULL)
            return -1;
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Returns the expanded value (OWNED) or NULL after adding a diagnostic. */
static char *expand_env(const char *value, const char *key, const char *path, int line,
                        struct diags *d)
{
    struct sbuf b = {0};
    int bad = 0;
    if (sbuf_add(&b, "", 0) < 0)
        return NULL;
    const char *p = value;
    while (*p != '\0') {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            bad |= sbuf_add(&b, "${", 2) < 0;
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            bad |= sbuf_add(&b, p, 1) < 0;
            p++;
            continue;
        }
        const char *start = p + 2, *end = strchr(start, '}');
        if (end == NULL) {
            diags_add(d, path, line, "key '%s': unterminated '${' in value", key);
            free(b.p);
            return NULL;
        }
        size_t n = (size_t)(end - start);
        int valid = n > 0 && !isdigit((unsigned char)start[0]);
        for (size_t i = 0; i < n && valid; i++)
            valid = isalnum((unsigned char)start[i]) || start[i] == '_';
        if (!valid) {
            diags_add(d, path, line, "key '%s': '${%.*s}' is not a valid environment variable name",
                      key, (int)n, start);
            free(b.p);
            return NULL;
        }
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)n, start);
        const char *env = getenv(name);
        if (env == NULL) {
            diags_add(d, path, line, "key '%s': environment variable %s is not set", key, name);
            free(b.p);
            return NULL;
        }
        bad |= sbuf_add(&b, env, strlen(env)) < 0;
        p = end + 1;
    }
    if (bad) {
        diags_add(d, path, line, "key '%s': out of memory", key);
        free(b.p);
        return NULL;
    }
    return b.p;
}

static struct conf_section *add_section(struct conf *c, enum conf_kind kind, const char *name,
                                        size_t name_len, int line)
{
    struct conf_section *grown = realloc(c->sections, (c->n_sections + 1) * sizeof(*grown));
    if (grown == NULL)
        return NULL;
    c->sections = grown;
    struct conf_section *s = &c->sections[c->n_sections];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    s->line = line;
    if (name != NULL) {
        s->name = strndup(name, name_len);
        if (s->name == NULL)
            return NULL;
    }
    c->n_sections++;
    return s;
}

static int add_entry(struct conf_section *s, char *key, char *value, int line)
{
    struct conf_entry *grown = realloc(s->entries, (s->n_entries + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    s->entries = grown;
    s->entries[s->n_entries++] = (struct conf_entry){.key = key, .value = value, .line = line};
    return 0;
}

static int find_kind(const char *word, size_t len, enum conf_kind *out)
{
    for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
        if (strlen(kind_names[i]) == len && strncmp(word, kind_names[i], len) == 0) {
            *out = (enum conf_kind)i;
            return 0;
        }
    }
    return -1;
}

static const struct conf_section *find_section(const struct conf *c, enum conf_kind kind,
                                               const char *name, size_t len)
{
    for (size_t i = 0; i < c->n_sections; i++) {
        const struct conf_section *s = &c->sections[i];
        if (s->kind != kind)
            continue;
        if (kind == CONF_HOST)
            return s;
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    }
    return NULL;
}

/* Parses "[kind NAME]"; returns the new section or NULL (problem reported,
 * or ENOMEM) so the keys under a bad header are skipped quietly. */
static struct conf_section *parse_header(struct conf *c, char *line_text, int line,
                                         struct diags *d)
{
    char *close = strchr(line_text, ']');
    if (close == NULL) {
        diags_add(d, c->path, line, "missing ']' in section header");
        return NULL;
    }
    if (*trim(close + 1) != '\0') {
        diags_add(d, c->path, line, "unexpected text after ']' in section header");
        return NULL;
    }
    *close = '\0';
    char *inner = trim(line_text + 1);
    size_t kind_len = strcspn(inner, " \t");
    char *name = inner + kind_len;
    while (*name == ' ' || *name == '\t')
        name++;
    size_t name_len = strlen(name);
    enum conf_kind kind;
    if (kind_len == 0) {
        diags_add(d, c->path, line, "empty section header '[]'");
        return NULL;
    }
    if (find_kind(inner, kind_len, &kind) < 0) {
        diags_add(d, c->path, line,
                  "unknown section kind '%.*s' (expected host, source, executor, sink or route)",
                  (int)kind_len, inner);
        return NULL;
    }
    if (kind == CONF_HOST && name_len > 0) {
        diags_add(d, c->path, line, "[host] takes no name (found '%s')", name);
        return NULL;
    }
    if (kind != CONF_HOST && name_len == 0) {
        diags_add(d, c->path, line, "[%s] needs a name: [%s NAME]", kind_names[kind],
                  kind_names[kind]);
        return NULL;
    }
    if (kind != CONF_HOST && !is_valid_name(name, name_len)) {
        diags_add(d, c->path, line,
                  "invalid %s name '%s' (letters, digits, '_', '.', '-' only)", kind_names[kind],
                  name);
        return NULL;
    }
    const struct conf_section *dup = find_section(c, kind, name, name_len);
    if (dup != NULL) {
        if (kind == CONF_HOST)
            diags_add(d, c->path, line, "duplicate section [host] (first at line %d)", dup->line);
        else
            diags_add(d, c->path, line, "duplicate section [%s %s] (first at line %d)",
                      kind_names[kind], name, dup->line);
        return NULL;
    }
    struct conf_section *s = add_section(c, kind, kind == CONF_HOST ? NULL : name, name_len, line);
    if (s == NULL)
        diags_add(d, c->path, line, "out of memory");
    return s;
}

static void parse_key_line(struct conf *c, struct conf_section *cur, int in_bad_section,
                           char *text, int line, struct diags *d)
{
    char *eq = strchr(text, '=');
    if (eq == NULL) {
        diags_add(d, c->path, line, "expected 'key = value', '[section]' or a comment, found '%s'",
                  text);
        return;
    }
    *eq = '\0';
    char *key = trim(text), *raw = trim(eq + 1);
    if (*key == '\0') {
        diags_add(d, c->path, line, "missing key name before '='");
        return;
    }
    if (!is_valid_name(key, strlen(key))) {
        diags_add(d, c->path, line, "invalid key name '%s' (letters, digits, '_', '.', '-' only)",
                  key);
        return;
    }
    if (cur == NULL) {
        if (!in_bad_section)
            diags_add(d, c->path, line, "key '%s' outside any section", key);
        return;
    }
    const struct conf_entry *dup = conf_entry_find(cur, key);
    if (dup != NULL) {
        diags_add(d, c->path, line, "duplicate key '%s' (first set at line %d)", key, dup->line);
        return;
    }
    char *value = expand_env(raw, key, c->path, line, d);
    if (value == NULL)
        return;
    char *key_copy = strdup(key);
    if (key_copy == NULL || add_entry(cur, key_copy, value, line) < 0) {
        diags_add(d, c->path, line, "out of memory");
        free(key_copy);
        free(value);
    }
}

struct conf *conf_parse(const char *path, const char *text, struct diags *d)
{
    struct conf *c = calloc(1, sizeof(*c));
    char *copy = strdup(text);
    if (c == NULL || copy == NULL || (c->path = strdup(path)) == NULL) {
        diags_add(d, path, 0, "out of memory");
        free(copy);
        conf_free(c);
        return NULL;
    }
    struct conf_section *cur = NULL;
    int in_bad_section = 0, line = 0;
    char *start = copy;
    if (strncmp(start, "\xEF\xBB\xBF", 3) == 0) /* a UTF-8 BOM some editors write */
        start += 3;
    /* strsep keeps empty lines, so line numbers stay exact. */
    for (char *rest = start, *raw; (raw = strsep(&rest, "\n")) != NULL;) {
        line++;
        char *s = trim(raw);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            cur = parse_header(c, s, line, d);
            in_bad_section = cur == NULL;
            continue;
        }
        parse_key_line(c, cur, in_bad_section, s, line, d);
    }
    free(copy);
    return c;
}

struct conf *conf_load(const char *path, struct diags *d)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        diags_add(d, path, 0, "cannot open config: %s", strerror(errno));
        return NULL;
    }
    char *text = malloc(CONF_MAX_BYTES + 1);
    size_t n = text ? fread(text, 1, CONF_MAX_BYTES + 1, f) : 0;
    int failed = text == NULL || ferror(f);
    fclose(f);
    if (failed || n > CONF_MAX_BYTES) {
        diags_add(d, path, 0, failed ? "cannot read config" : "config larger than %d bytes",
                  CONF_MAX_BYTES);
        free(text);
        return NULL;
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        diags_add(d, path, 0, "config contains a NUL byte (not a text file?)");
        free(text);
        return NULL;
    }
    struct conf *c = conf_parse(path, text, d);
    free(text);
    return c;
}

void conf_free(struct conf *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_sections; i++) {
        struct conf_section *s = &c->sections[i];
        for (size_t j = 0; j < s->n_entries; j++) {
            free(s->entries[j].key);
            free(s->entries[j].value);
        }
        free(s->entries);
        free(s->name);
    }
    free(c->sections);
    free(c->path);
    free(c);
}

const struct conf_section *conf_host(const struct conf *c)
{
    return find_section(c, CONF_HOST, NULL, 0);
}

const struct conf_section *conf_find(const struct conf *c, enum conf_kind kind, const char *name)
{
    return find_section(c, kind, name, name ? strlen(name) : 0);
}

const struct conf_section *conf_next(const struct conf *c, enum conf_kind kind,
                                     const struct conf_section *after)
{
    size_t i = after ? (size_t)(after - c->sections) + 1 : 0;
    for (; i < c->n_sections; i++)
        if (c->sections[i].kind == kind)
            return &c->sections[i];
    return NULL;
}

const struct conf_entry *conf_entry_find(const struct conf_section *s, const char *key)
{
    for (size_t i = 0; i < s->n_entries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

const char *conf_get(const struct conf_section *s, const char *key)
{
    const struct conf_entry *e = conf_entry_find(s, key);
    return e ? e->value : NULL;
}

char *conf_resolve_path(const struct conf *c, const char *value)
{
    if (value[0] == '/' || c == NULL || strchr(c->path, '/') == NULL)
        return strdup(value);
    const char *slash = strrchr(c->path, '/');
    char *out = NULL;
    if (asprintf(&out, "%.*s/%s", (int)(slash - c->path), c->path, value) < 0)
        return NULL;
    return out;
}
