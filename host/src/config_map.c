#include "config_map.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redact.h"

const struct nbsoar_config_key config_host_keys[] = {
    {"plugin_dir", NBSOAR_KEY_STRING, NULL, 0, "directory searched first for plugins"},
    {"workers", NBSOAR_KEY_INT, "2", 0, "jobs run at the same time"},
    {"journal", NBSOAR_KEY_STRING, NULL, 0, "SQLite journal file"},
    {"log_level", NBSOAR_KEY_STRING, NULL, 0, "error, warn, info or debug"},
    {"log_format", NBSOAR_KEY_STRING, NULL, 0, "human, json or auto"},
    {"metrics", NBSOAR_KEY_STRING, NULL, 0, "address:port of the metrics endpoint"},
    {"vault", NBSOAR_KEY_STRING, NULL, 0, "secrets file (keys.py syntax)"},
    {"output_folder", NBSOAR_KEY_STRING, NULL, 0, "where executed notebooks are kept"},
    {"output_path", NBSOAR_KEY_STRING, NULL, 0,
     "file name under output_folder: strftime codes, {route} {notebook} {event} {job}"},
    {"journal_sync", NBSOAR_KEY_STRING, "full", 0,
     "full: every commit fsync'd; normal: survives a crash, not a power cut"},
    {"drain_timeout", NBSOAR_KEY_DURATION_MS, "30s", 0,
     "on SIGTERM, how long running jobs may finish"},
    {"once_horizon", NBSOAR_KEY_DURATION_MS, "5s", 0,
     "run --once waits for retries due within this"},
    {NULL, 0, NULL, 0, NULL},
};

const struct nbsoar_config_key config_instance_keys[] = {
    {"plugin", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED, "plugin implementing this section"},
    {"interval", NBSOAR_KEY_DURATION_MS, NULL, 0, "sources: how often run polls (default 5s)"},
    {"rate", NBSOAR_KEY_STRING, NULL, 0, "sinks: at most N operations per time, \"10/s\""},
    {NULL, 0, NULL, 0, NULL},
};

const char *config_section_label(const struct conf_section *s)
{
    static _Thread_local char buf[300];
    if (s->kind == CONF_HOST)
        snprintf(buf, sizeof(buf), "[host]");
    else
        snprintf(buf, sizeof(buf), "[%s %s]", conf_kind_name(s->kind), s->name);
    return buf;
}

int config_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int config_parse_duration_ms(const char *text, long long *ms)
{
    static const struct {
        const char *unit;
        double factor;
    } units[] = {{"ms", 1}, {"s", 1000}, {"", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (!isdigit((unsigned char)text[0]) && text[0] != '.')
        return -1;
    errno = 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || !isfinite(v) || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            double total = v * units[i].factor;
            if (total > 9.0e15)
                return -1;
            *ms = (long long)llround(total);
            return 0;
        }
    }
    return -1;
}

static json_t *split_list(const char *text)
{
    json_t *arr = json_array();
    const char *p = text;
    while (arr != NULL && *p != '\0') {
        size_t n = strcspn(p, ",");
        const char *s = p, *e = p + n;
        while (s < e && isspace((unsigned char)*s))
            s++;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s)
            json_array_append_new(arr, json_stringn(s, (size_t)(e - s)));
        p += n;
        if (*p == ',')
            p++;
    }
    return arr;
}

int config_map_convert(enum nbsoar_key_type type, const char *text, json_t **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    switch (type) {
    case NBSOAR_KEY_STRING:
        *out = json_string(text);
        break;
    case NBSOAR_KEY_INT: {
        errno = 0;
        char *end = NULL;
        long long v = strtoll(text, &end, 10);
        if (text[0] == '\0' || *end != '\0' || errno != 0) {
            snprintf(err, errlen, "is not an integer");
            return -1;
        }
        *out = json_integer(v);
        break;
    }
    case NBSOAR_KEY_BOOL: {
        int b;
        if (config_parse_bool(text, &b) < 0) {
            snprintf(err, errlen, "is not a boolean (true/false, yes/no, on/off, 1/0)");
            return -1;
        }
        *out = json_boolean(b);
        break;
    }
    case NBSOAR_KEY_DURATION_MS: {
        long long ms;
        if (config_parse_duration_ms(text, &ms) < 0) {
            snprintf(err, errlen, "is not a duration (500ms, 30s, 5m, 1h, 1d or seconds)");
            return -1;
        }
        *out = json_integer(ms);
        break;
    }
    case NBSOAR_KEY_LIST:
        *out = split_list(text);
        break;
    default:
        snprintf(err, errlen, "has an unknown key type %d", (int)type);
        return -1;
    }
    if (*out == NULL) {
        snprintf(err, errlen, "could not be stored (not UTF-8, or out of memory)");
        return -1;
    }
    return 0;
}

static int key_matches(const struct nbsoar_config_key *k, const char *name)
{
    if (k->flags & NBSOAR_KEY_PREFIX)
        return strncmp(name, k->name, strlen(k->name)) == 0 && strlen(name) > strlen(k->name);
    return strcmp(name, k->name) == 0;
}

static const struct nbsoar_config_key *find_key(const struct nbsoar_config_key *keys,
                                                const char *name)
{
    for (size_t i = 0; keys != NULL && keys[i].name != NULL; i++)
        if (key_matches(&keys[i], name))
            return &keys[i];
    return NULL;
}

/* Edit distance, capped: only used to suggest a key close to a typo. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

static void report_unknown(const char *file, const struct conf_section *s,
                           const struct conf_entry *e, const struct nbsoar_config_key *keys,
                           const char *owner, struct diags *d)
{
    for (size_t i = 0; keys != NULL && keys[i].name != NULL; i++) {
        if ((keys[i].flags & NBSOAR_KEY_PREFIX) && strcmp(keys[i].name, e->key) == 0) {
            diags_add(d, file, e->line, "%s: key '%s' needs a name after the prefix ('%sNAME')",
                      config_section_label(s), e->key, e->key);
            return;
        }
    }
    const char *best = NULL;
    size_t best_dist = 3;
    char known[512] = "";
    size_t used = 0;
    for (size_t i = 0; keys != NULL && keys[i].name != NULL; i++) {
        size_t dist = distance(e->key, keys[i].name);
        if (dist < best_dist) {
            best_dist = dist;
            best = keys[i].name;
        }
        if (used + strlen(keys[i].name) + 8 < sizeof(known)) {
            used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s%s", used ? ", " : "",
                                     keys[i].name, keys[i].flags & NBSOAR_KEY_PREFIX ? "*" : "");
        }
    }
    if (best != NULL)
        diags_add(d, file, e->line, "%s: unknown key '%s' for %s (did you mean '%s'?)",
                  config_section_label(s), e->key, owner, best);
    else
        diags_add(d, file, e->line, "%s: unknown key '%s' for %s (known keys: %s)",
                  config_section_label(s), e->key, owner, used ? known : "none");
}

/* Text of a vault value, as if it had been written in the config.  OWNED; NULL on ENOMEM. */
static char *vault_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "true" : "false");
    char *text = NULL;
    int rc = json_is_integer(v) ? asprintf(&text, "%" JSON_INTEGER_FORMAT, json_integer_value(v))
                                : asprintf(&text, "%.17g", json_real_value(v));
    return rc < 0 ? NULL : text;
}

/* Resolves vault:NAME.  Returns 0 with *text OWNED (NULL when the vault
 * says None), or -1 after reporting. */
static int resolve_vault(const char *file, const struct conf_section *s,
                         const struct conf_entry *e, const struct vault *v, struct diags *d,
                         char **text)
{
    const char *name = e->value + strlen("vault:");
    json_t *value = NULL;
    *text = NULL;
    if (v == NULL) {
        diags_add(d, file, e->line, "%s: key '%s' uses vault:%s but no vault is loaded "
                  "([host] vault is unset or was refused)", config_section_label(s), e->key, name);
        return -1;
    }
    if (vault_get(v, name, &value) < 0) {
        if (vault_is_broken(v, name))
            diags_add(d, file, e->line, "%s: key '%s': the vault line for '%s' has an error "
                      "(reported above)", config_section_label(s), e->key, name);
        else
            diags_add(d, file, e->line, "%s: key '%s': no '%s' in the vault %s",
                      config_section_label(s), e->key, name, vault_path(v));
        return -1;
    }
    if (!json_is_null(value)) {
        *text = vault_text(value);
        if (*text == NULL) {
            diags_add(d, file, e->line, "%s: key '%s': out of memory", config_section_label(s), e->key);
            json_decref(value);
            return -1;
        }
        redact_add(*text);
    }
    json_decref(value);
    return 0;
}

static int is_vault_ref(const char *value)
{
    return strncmp(value, "vault:", 6) == 0 && value[6] != '\0';
}

/* Validates one entry against its key and stores it in obj. */
static int map_entry(const char *file, const struct conf_section *s, const struct conf_entry *e,
                     const struct nbsoar_config_key *k, const struct vault *v, struct diags *d,
                     json_t *obj)
{
    char *text = NULL;
    int from_vault = is_vault_ref(e->value);
    if (from_vault) {
        if (resolve_vault(file, s, e, v, d, &text) < 0)
            return -1;
        if (text == NULL)
            return 0; /* None: as if absent */
    } else {
        text = strdup(e->value);
        if (text == NULL) {
            diags_add(d, file, e->line, "%s: key '%s': out of memory", config_section_label(s), e->key);
            return -1;
        }
        if ((k->flags & NBSOAR_KEY_SECRET) && text[0] != '\0')
            log_warn("%s:%d: %s: key '%s' holds a secret in clear text; prefer vault:NAME",
                     file ? file : "(no config)", e->line, config_section_label(s), e->key);
    }
    if (k->flags & NBSOAR_KEY_SECRET)
        redact_add(text);
    char why[128];
    json_t *value = NULL;
    int rc = config_map_convert(k->type, text, &value, why, sizeof(why));
    if (rc < 0) {
        if (from_vault)
            diags_add(d, file, e->line, "%s: key '%s': the value of %s %s", config_section_label(s),
                      e->key, e->value, why);
        else if (k->flags & NBSOAR_KEY_SECRET)
            diags_add(d, file, e->line, "%s: key '%s': the value %s", config_section_label(s),
                      e->key, why);
        else
            diags_add(d, file, e->line, "%s: key '%s': '%s' %s", config_section_label(s), e->key,
                      text, why);
    } else {
        json_object_set_new(obj, e->key, value);
    }
    free(text);
    return rc;
}

/* Required keys and defaults of one table. */
static int apply_table_rules(const char *file, const struct conf_section *s,
                             const struct nbsoar_config_key *keys, const char *owner,
                             struct diags *d, json_t *obj)
{
    int rc = 0;
    for (size_t i = 0; keys != NULL && keys[i].name != NULL; i++) {
        const struct nbsoar_config_key *k = &keys[i];
        int present = 0;
        for (size_t j = 0; j < s->n_entries && !present; j++)
            present = key_matches(k, s->entries[j].key);
        if (present || json_object_get(obj, k->name) != NULL)
            continue;
        if (k->flags & NBSOAR_KEY_REQUIRED) {
            diags_add(d, file, s->line, "%s: required key '%s%s' is missing (%s)",
                      config_section_label(s), k->name, k->flags & NBSOAR_KEY_PREFIX ? "*" : "",
                      k->description ? k->description : owner);
            rc = -1;
            continue;
        }
        if (k->default_value == NULL || (k->flags & NBSOAR_KEY_PREFIX))
            continue;
        char why[128];
        json_t *value = NULL;
        if (config_map_convert(k->type, k->default_value, &value, why, sizeof(why)) < 0) {
            diags_add(d, file, s->line, "%s: %s has an invalid default for key '%s': '%s' %s",
                      config_section_label(s), owner, k->name, k->default_value, why);
            rc = -1;
            continue;
        }
        json_object_set_new(obj, k->name, value);
    }
    return rc;
}

int config_map_section(const char *file, const struct conf_section *s,
                       const struct nbsoar_config_key *keys, const char *owner,
                       const struct nbsoar_config_key *host_keys, const struct vault *v,
                       struct diags *d, json_t **out, json_t **host_out)
{
    int rc = 0;
    *out = json_object();
    if (host_keys != NULL)
        *host_out = json_object();
    for (size_t i = 0; i < s->n_entries; i++) {
        const struct conf_entry *e = &s->entries[i];
        const struct nbsoar_config_key *k = find_key(host_keys, e->key);
        json_t *obj = host_out != NULL ? *host_out : NULL;
        if (k == NULL) {
            k = find_key(keys, e->key);
            obj = *out;
        }
        if (k == NULL) {
            report_unknown(file, s, e, keys, owner, d);
            rc = -1;
            continue;
        }
        if (map_entry(file, s, e, k, v, d, obj) < 0)
            rc = -1;
    }
    if (host_keys != NULL && apply_table_rules(file, s, host_keys, "the host", d, *host_out) < 0)
        rc = -1;
    if (apply_table_rules(file, s, keys, owner, d, *out) < 0)
        rc = -1;
    return rc;
}
