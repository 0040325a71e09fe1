/*
 * spool JSONL: one event per line, read from where the last poll stopped.
 *
 * The cursor ("jsonl:<path>:<inode>" -> "<byte offset> <lines consumed>")
 * advances after each line is either accepted by the host or rejected, so a
 * line is never handed over twice, across polls and restarts.  A new inode
 * (the file was replaced or rotated) starts a new cursor; a file shorter
 * than its cursor was truncated and is read again from the start.  Lines
 * written after the last poll to a file that is then renamed away
 * (rotated) are not read: for rotated logs, drop the finished files into a
 * spool folder instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spool.h"

char *spool_jsonl_cursor_key(const char *path, ino_t inode)
{
    char *key = NULL;
    if (asprintf(&key, "jsonl:%s:%ju", path, (uintmax_t)inode) < 0)
        return NULL;
    return key;
}

struct jsonl_pos {
    long long offset; /* bytes consumed */
    long line;        /* lines consumed */
};

/* An unreadable cursor value restarts the file (the host drops the
 * duplicates); a host that cannot answer stops the read, which would
 * otherwise hand every line over again. */
static int cursor_load(const struct spool *sp, const char *key, struct jsonl_pos *pos)
{
    char *value = NULL;
    pos->offset = 0;
    pos->line = 0;
    if (sp->host->cursor_get(sp->host, key, &value) != NBSOAR_OK) {
        sp->host->log(sp->host, NBSOAR_LOG_ERROR, "cannot read cursor %s", key);
        return NBSOAR_ERROR;
    }
    if (value != NULL && value[0] != '\0' && sscanf(value, "%lld %ld", &pos->offset, &pos->line) != 2) {
        sp->host->log(sp->host, NBSOAR_LOG_WARN, "cursor %s: unreadable value \"%s\", reading from the start",
                      key, value);
        pos->offset = 0;
        pos->line = 0;
    }
    free(value);
    return NBSOAR_OK;
}

static int cursor_save(const struct spool *sp, const char *key, const struct jsonl_pos *pos)
{
    char value[64];
    snprintf(value, sizeof(value), "%lld %ld", pos->offset, pos->line);
    if (sp->host->cursor_set(sp->host, key, value) == NBSOAR_OK)
        return NBSOAR_OK;
    sp->host->log(sp->host, NBSOAR_LOG_ERROR, "cannot save cursor %s", key);
    return NBSOAR_ERROR;
}

/* Records a bad line in rejected_path as {file, line, reason, text}. */
static void reject_line(const struct spool *sp, const char *path, const char *rejected_path, long lineno,
                        const char *text, size_t len, const char *reason)
{
    const struct nbsoar_host *h = sp->host;
    h->log(h, NBSOAR_LOG_WARN, "rejected %s line %ld: %s", path, lineno, reason);
    if (h->counter_add != NULL)
        h->counter_add(h, "spool_rejected_total", 1);
    json_t *rec = json_pack("{s:s, s:I, s:s}", "file", path, "line", (json_int_t)lineno, "reason", reason);
    /* Text that is not UTF-8 cannot be a JSON string; its size still helps. */
    json_t *jtext = json_stringn(text, len);
    json_object_set_new(rec, "text", jtext != NULL ? jtext : json_null());
    if (jtext == NULL)
        json_object_set_new(rec, "bytes", json_integer((json_int_t)len));
    char *out = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    char err[512];
    if (out == NULL || spool_append_line(rejected_path, out, err, sizeof(err)) != NBSOAR_OK)
        h->log(h, NBSOAR_LOG_ERROR, "%s", out == NULL ? "out of memory" : err);
    free(out);
}

/* Hands one line to the host.  NBSOAR_OK: the line is done with (accepted
 * or rejected); NBSOAR_RETRY: keep it for the next poll. */
static int handle_line(struct spool *sp, const char *path, const char *rejected_path, long lineno,
                       const char *text, size_t len)
{
    const struct nbsoar_host *h = sp->host;
    char reason[SPOOL_REASON_MAX], err[512] = "";
    json_t *ev = NULL;
    if (spool_event_parse(sp, text, len, &ev, reason, sizeof(reason)) != NBSOAR_OK) {
        reject_line(sp, path, rejected_path, lineno, text, len, reason);
        return NBSOAR_OK;
    }
    int rc = h->emit_event(h, ev, err, sizeof(err));
    if (rc == NBSOAR_OK) {
        if (h->counter_add != NULL)
            h->counter_add(h, "spool_events_total", 1);
    } else if (rc == NBSOAR_RETRY) {
        h->log(h, NBSOAR_LOG_WARN, "%s line %ld: host cannot take the event now (%s); retrying next poll",
               path, lineno, err);
    } else {
        snprintf(reason, sizeof(reason), "refused by the host: %s", err);
        reject_line(sp, path, rejected_path, lineno, text, len, reason);
        rc = NBSOAR_OK;
    }
    json_decref(ev);
    return rc;
}

static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    }
    return 1;
}

int spool_jsonl_consume(struct spool *sp, const char *path, int whole, const char *rejected_path,
                        int *finished, long *budget)
{
    const struct nbsoar_host *h = sp->host;
    *finished = 0;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT)
            return NBSOAR_OK; /* not written yet, or gone between listing and opening */
        h->log(h, NBSOAR_LOG_ERROR, "cannot open %s: %s", path, strerror(errno));
        return NBSOAR_ERROR;
    }
    struct stat st;
    char *key = NULL;
    if (fstat(fileno(f), &st) != 0 || (key = spool_jsonl_cursor_key(path, st.st_ino)) == NULL) {
        h->log(h, NBSOAR_LOG_ERROR, "cannot stat %s: %s", path, strerror(errno));
        fclose(f);
        return NBSOAR_ERROR;
    }
    struct jsonl_pos pos;
    if (cursor_load(sp, key, &pos) != NBSOAR_OK) {
        free(key);
        fclose(f);
        return NBSOAR_ERROR;
    }
    if (pos.offset > (long long)st.st_size) {
        h->log(h, NBSOAR_LOG_WARN, "%s is shorter than its cursor (%lld > %lld bytes): truncated, "
               "reading it again from the start", path, pos.offset, (long long)st.st_size);
        pos.offset = 0;
        pos.line = 0;
    }
    int rc = NBSOAR_OK;
    char *line = NULL;
    size_t cap = 0;
    if (fseeko(f, (off_t)pos.offset, SEEK_SET) != 0) {
        h->log(h, NBSOAR_LOG_ERROR, "cannot seek in %s: %s", path, strerror(errno));
        rc = NBSOAR_ERROR;
    }
    while (rc == NBSOAR_OK && *budget > 0) {
        ssize_t n = getline(&line, &cap, f);
        if (n < 0) {
            *finished = !ferror(f);
            if (ferror(f)) {
                h->log(h, NBSOAR_LOG_ERROR, "cannot read %s: %s", path, strerror(errno));
                rc = NBSOAR_ERROR;
            }
            break;
        }
        int complete = line[n - 1] == '\n';
        if (!complete && !whole)
            break; /* the writer is still on this line */
        size_t len = (size_t)n - (complete ? 1 : 0);
        if (len > 0 && line[len - 1] == '\r')
            len--;
        long lineno = pos.line + 1;
        if (!is_blank(line, len)) {
            rc = handle_line(sp, path, rejected_path, lineno, line, len);
            if (rc != NBSOAR_OK)
                break;
        }
        (*budget)--;
        pos.offset += n;
        pos.line = lineno;
        rc = cursor_save(sp, key, &pos);
    }
    free(line);
    free(key);
    fclose(f);
    return rc;
}
