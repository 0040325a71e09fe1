/* A notable result row becomes an nbsoar event:
 *   {id: event_id, source, type: "notable", time (UTC), title,
 *    fields: every field of the row (+ detection), raw: {},
 *    ref: {system: "splunk", kind: "notable", id: event_id}}
 * The row's fields are kept as Splunk sent them (strings, or arrays for
 * multi-value fields), so routes match on exactly what the search returned. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "splunk.h"

static int all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* "2026-11-20T08:14:02.000+00:00", "...Z", or without a zone (UTC). */
static double parse_iso(const char *s)
{
    if (strlen(s) < 19 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) ||
        s[7] != '-' || !all_digits(s + 8, 2) || (s[10] != 'T' && s[10] != ' ') ||
        !all_digits(s + 11, 2) || s[13] != ':' || !all_digits(s + 14, 2) || s[16] != ':' ||
        !all_digits(s + 17, 2))
        return -1;
    struct tm tm = {0};
    tm.tm_year = num(s, 4) - 1900;
    tm.tm_mon = num(s + 5, 2) - 1;
    tm.tm_mday = num(s + 8, 2);
    tm.tm_hour = num(s + 11, 2);
    tm.tm_min = num(s + 14, 2);
    tm.tm_sec = num(s + 17, 2);
    double t = (double)timegm(&tm);
    const char *p = s + 19;
    if (*p == '.') {
        char *end = NULL;
        t += strtod(p, &end);
        p = end;
    }
    /* splunkd's own formats also end in " GMT" or " UTC" when the user's
     * time zone is set so. */
    if (strcmp(p, " GMT") == 0 || strcmp(p, " UTC") == 0 || strcmp(p, "Z") == 0 || *p == '\0')
        return t;
    if ((*p == '+' || *p == '-') && strlen(p) >= 5 && all_digits(p + 1, 2)) {
        const char *m = p[3] == ':' ? p + 4 : p + 3;
        if (!all_digits(m, 2) || m[2] != '\0')
            return -1;
        int off = num(p + 1, 2) * 3600 + num(m, 2) * 60;
        return *p == '+' ? t - off : t + off;
    }
    return -1;
}

double sp_parse_time(const char *text)
{
    if (text == NULL || text[0] == '\0')
        return -1;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end != text && *end == '\0' && v >= 0)
        return v;
    return parse_iso(text);
}

const char *sp_row_string(const json_t *row, const char *key)
{
    const json_t *v = json_object_get(row, key);
    if (json_is_array(v))
        v = json_array_get(v, 0);
    const char *s = json_string_value(v);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* rule_title with its $field$ tokens filled from the row, as ES shows it;
 * a token the row lacks stays as written.  OWNED; NULL on ENOMEM. */
static char *render_title(const json_t *row, const char *tmpl)
{
    size_t cap = strlen(tmpl) + 64, len = 0;
    char *out = malloc(cap);
    for (const char *p = tmpl; out != NULL && *p != '\0';) {
        const char *value = NULL;
        size_t take = 1;
        const char *close = *p == '$' ? strchr(p + 1, '$') : NULL;
        if (close != NULL && close > p + 1 && (size_t)(close - p) < 128) {
            char name[128];
            memcpy(name, p + 1, (size_t)(close - p - 1));
            name[close - p - 1] = '\0';
            value = sp_row_string(row, name);
            if (value != NULL)
                take = (size_t)(close - p + 1);
        }
        const char *src = value != NULL ? value : p;
        size_t n = value != NULL ? strlen(value) : 1;
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + len, src, n);
        len += n;
        p += take;
    }
    if (out != NULL)
        out[len] = '\0';
    return out;
}

json_t *sp_event_build(json_t *row, const char *source_name, const json_t *detection)
{
    const char *event_id = sp_row_string(row, "event_id");
    if (event_id == NULL)
        return NULL;
    char when[40] = "";
    double t = sp_parse_time(sp_row_string(row, "_time"));
    if (t >= 0) {
        time_t secs = (time_t)t;
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    const char *tmpl = sp_row_string(row, "rule_title");
    if (tmpl == NULL)
        tmpl = sp_row_string(row, "rule_name");
    if (tmpl == NULL)
        tmpl = sp_row_string(row, "search_name");
    if (tmpl == NULL)
        tmpl = sp_row_string(row, "source");
    char *title = tmpl != NULL ? render_title(row, tmpl) : NULL;

    if (detection != NULL)
        json_object_set(row, "detection", (json_t *)detection);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:O, s:{}, s:{s:s, s:s, s:s}}",
                           "id", event_id, "source", source_name, "type", "notable",
                           "time", when[0] != '\0' ? when : NULL,
                           "title", title != NULL ? title : "Splunk notable",
                           "fields", row, "raw",
                           "ref", "system", "splunk", "kind", "notable", "id", event_id);
    free(title);
    return ev;
}
