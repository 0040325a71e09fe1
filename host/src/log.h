/* Host logging: levels, a human format on a TTY and JSON lines otherwise,
 * structured fields (job, event ids), every line passed through redaction. */
#ifndef NBSOAR_LOG_H
#define NBSOAR_LOG_H

#include <stdarg.h>
#include <stdio.h>
#include <jansson.h>
#include "nbsoar/plugin.h"

enum log_format {
    LOG_FORMAT_AUTO = 0, /* human on a TTY, JSON otherwise */
    LOG_FORMAT_HUMAN,
    LOG_FORMAT_JSON,
};

/* out is borrowed and must outlive logging (NULL: stderr). */
void log_setup(enum nbsoar_log_level level, enum log_format format, FILE *out);
enum nbsoar_log_level log_level(void);
int log_parse_level(const char *s, enum nbsoar_log_level *out);
int log_parse_format(const char *s, enum log_format *out);

/* component: "host", a plugin instance name...; fields: object or NULL (borrowed). */
void log_write(enum nbsoar_log_level lvl, const char *component, const json_t *fields,
               const char *fmt, ...) NBSOAR_PRINTF(4, 5);
void log_vwrite(enum nbsoar_log_level lvl, const char *component, const json_t *fields,
                const char *fmt, va_list ap);

#define log_error(...) log_write(NBSOAR_LOG_ERROR, "host", NULL, __VA_ARGS__)
#define log_warn(...) log_write(NBSOAR_LOG_WARN, "host", NULL, __VA_ARGS__)
#define log_info(...) log_write(NBSOAR_LOG_INFO, "host", NULL, __VA_ARGS__)
#define log_debug(...) log_write(NBSOAR_LOG_DEBUG, "host", NULL, __VA_ARGS__)

#endif
