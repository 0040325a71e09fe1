#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "redact.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum nbsoar_log_level cur_level = NBSOAR_LOG_INFO;
static enum log_format cur_format = LOG_FORMAT_AUTO;
static FILE *log_out;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_setup(enum nbsoar_log_level level, enum log_format format, FILE *out)
{
    cur_level = level;
    cur_format = format;
    log_out = out;
}

enum nbsoar_log_level log_level(void)
{
    return cur_level;
}

int log_parse_level(const char *s, enum nbsoar_log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (enum nbsoar_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(s, "warning") == 0) {
        *out = NBSOAR_LOG_WARN;
        return 0;
    }
    return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (strcmp(s, "auto") == 0)
        *out = LOG_FORMAT_AUTO;
    else if (strcmp(s, "human") == 0 || strcmp(s, "text") == 0)
        *out = LOG_FORMAT_HUMAN;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

static void timestamp(char *buf, size_t size)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

static void write_human(FILE *out, const char *ts, enum nbsoar_log_level lvl,
                        const char *component, const json_t *fields, const char *msg)
{
    fprintf(out, "%s %-5s [%s] %s", ts, level_names[lvl], component ? component : "host", msg);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)fields, key, value) {
        if (json_is_string(value)) {
            char *clean = redact_dup(json_string_value(value));
            fprintf(out, " %s=%s", key, clean ? clean : "");
            free(clean);
        } else {
            char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            char *clean = redact_dup(text);
            fprintf(out, " %s=%s", key, clean ? clean : "");
            free(clean);
            free(text);
        }
    }
    fputc('\n', out);
}

static void write_json(FILE *out, const char *ts, enum nbsoar_log_level lvl,
                       const char *component, const json_t *fields, const char *msg)
{
    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[lvl]));
    json_object_set_new(line, "component", json_string(component ? component : "host"));
    json_object_set_new(line, "msg", json_string(msg));
    if (fields != NULL)
        json_object_update_missing(line, (json_t *)fields);
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    char *clean = redact_dup(text);
    if (clean != NULL)
        fprintf(out, "%s\n", clean);
    free(clean);
    free(text);
    json_decref(line);
}

void log_vwrite(enum nbsoar_log_level lvl, const char *component, const json_t *fields,
                const char *fmt, va_list ap)
{
    if (lvl > cur_level)
        return;
    if (lvl < NBSOAR_LOG_ERROR)
        lvl = NBSOAR_LOG_ERROR;
    char *raw = NULL;
    if (vasprintf(&raw, fmt, ap) < 0)
        return;
    char *msg = redact_dup(raw);
    free(raw);
    if (msg == NULL)
        return;
    char ts[40];
    timestamp(ts, sizeof(ts));
    pthread_mutex_lock(&log_lock);
    FILE *out = log_out ? log_out : stderr;
    int json = cur_format == LOG_FORMAT_JSON ||
               (cur_format == LOG_FORMAT_AUTO && !isatty(fileno(out)));
    if (json)
        write_json(out, ts, lvl, component, fields, msg);
    else
        write_human(out, ts, lvl, component, fields, msg);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
    free(msg);
}

void log_write(enum nbsoar_log_level lvl, const char *component, const json_t *fields,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(lvl, component, fields, fmt, ap);
    va_end(ap);
}
