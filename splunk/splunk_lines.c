/* An incremental line splitter: a streamed body is cut into lines as it
 * arrives, so an export of any size costs one partial line of memory. */
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

static int emit(struct sp_lines *ls, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    ls->lines++;
    return ls->on_line(ls->arg, line, len) != 0 ? -1 : 0;
}

/* Keeps the tail of a chunk until its '\n' arrives. */
static int keep(struct sp_lines *ls, const char *data, size_t len)
{
    if (ls->len + len > ls->max_line) {
        ls->too_long = 1;
        return -1;
    }
    if (ls->len + len > ls->cap) {
        size_t cap = ls->cap ? ls->cap : 4096;
        while (cap < ls->len + len)
            cap *= 2;
        char *grown = realloc(ls->buf, cap);
        if (grown == NULL)
            return -1;
        ls->buf = grown;
        ls->cap = cap;
    }
    memcpy(ls->buf + ls->len, data, len);
    ls->len += len;
    return 0;
}

int sp_lines_feed(struct sp_lines *ls, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (nl == NULL)
            return keep(ls, data, len);
        size_t n = (size_t)(nl - data);
        if (ls->len == 0) {
            /* The whole line is inside this chunk: no copy. */
            if (n > ls->max_line) {
                ls->too_long = 1;
                return -1;
            }
            if (emit(ls, data, n) != 0)
                return -1;
        } else {
            if (keep(ls, data, n) != 0)
                return -1;
            size_t total = ls->len;
            ls->len = 0;
            if (emit(ls, ls->buf, total) != 0)
                return -1;
        }
        data = nl + 1;
        len -= n + 1;
    }
    return 0;
}

int sp_lines_finish(struct sp_lines *ls)
{
    if (ls->len == 0)
        return 0;
    size_t n = ls->len;
    ls->len = 0;
    return emit(ls, ls->buf, n);
}

void sp_lines_free(struct sp_lines *ls)
{
    free(ls->buf);
    ls->buf = NULL;
    ls->len = ls->cap = 0;
}
