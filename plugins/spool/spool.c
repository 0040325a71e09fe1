/*
 * spool: events from files — the embedded default source.
 *
 * Folder mode (`path` is a folder): every regular file whose name matches
 * `pattern` (default *.json) and does not start with '.' is one event: a
 * single JSON object.  Once the host accepts it (emit_event returns OK) the
 * file is renamed into done/; a file that is not an event (not JSON, not an
 * object, too big, no id, a field of the wrong type) is renamed into
 * rejected/ with "<name>.reason" beside it.  A file the host cannot take now
 * (RETRY) stays where it is and is offered again at the next poll.  Names
 * taken in done/ or rejected/ are never overwritten: "a.json" becomes
 * "a-1.json".  Files ending in ".jsonl" that match the pattern (e.g.
 * pattern = *.json*; the default does not match them) are read line by line
 * as below and moved to done/ when every line is consumed.
 *
 * Writers must write to a dot-file (".alert.json.tmp") and rename() it to
 * its final name, so a file is never read half-written.
 *
 * JSONL mode (`path` is a file, or a missing "*.jsonl"): each complete line
 * is an event; the file is read in place, from a cursor kept by the host
 * (see spool_jsonl.c).  A line still being written (no newline yet) waits.
 * Bad lines are appended to rejected/<file name>.rejected.jsonl as
 * {file, line, reason, text}.
 *
 * Normalisation: `source` is filled with source_name (default: the
 * section's name) and `time` with the current UTC time when absent; `id` is
 * required unless require_id = false, which derives "sha256:<hex>" from the
 * event's canonical JSON.  Everything else is passed on untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the folder's candidate files.  *names OWNED: free each and the array. */
static int list_candidates(const struct spool *sp, char ***names, size_t *count)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(sp->path);
    if (d == NULL) {
        sp->host->log(sp->host, NBSOAR_LOG_ERROR, "cannot read folder %s: %s", sp->path, strerror(errno));
        return NBSOAR_ERROR;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.' || fnmatch(sp->pattern, de->d_name, FNM_PERIOD) != 0)
            continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (*count == cap) {
            cap = cap != 0 ? cap * 2 : 64;
            char **grown = realloc(*names, cap * sizeof(**names));
            if (grown == NULL)
                break;
            *names = grown;
        }
        char *copy = strdup(de->d_name);
        if (copy == NULL)
            break;
        (*names)[(*count)++] = copy;
    }
    closedir(d);
    if (*count > 0)
        qsort(*names, *count, sizeof(**names), cmp_names);
    return NBSOAR_OK;
}

/* Reads the whole file when it is at most max bytes.  *buf OWNED: free().
 * Returns 1 when too big (*size set), 0 when read, -1 on error (errno). */
static int read_capped(const char *path, size_t max, char **buf, size_t *size)
{
    *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    *size = (size_t)st.st_size;
    if (*size > max) {
        close(fd);
        return 1;
    }
    char *data = malloc(*size + 1);
    size_t got = 0;
    ssize_t n = 0;
    while (data != NULL && got < *size && (n = read(fd, data + got, *size - got)) > 0)
        got += (size_t)n;
    int e = errno;
    close(fd);
    if (data == NULL || n < 0) {
        free(data);
        errno = data == NULL ? ENOMEM : e;
        return -1;
    }
    *size = got;
    *buf = data;
    return 0;
}

/* One file, one event.  NBSOAR_RETRY: the host cannot take it now. */
static int take_file(struct spool *sp, const char *name)
{
    const struct nbsoar_host *h = sp->host;
    char path[PATH_MAX], reason[SPOOL_REASON_MAX], err[PATH_MAX + 256] = "";
    snprintf(path, sizeof(path), "%s/%s", sp->path, name);
    char *buf = NULL;
    size_t size = 0;
    int r = read_capped(path, sp->max_event_bytes, &buf, &size);
    if (r < 0) {
        if (errno == ENOENT)
            return NBSOAR_OK; /* taken by someone else since the listing */
        h->log(h, NBSOAR_LOG_ERROR, "cannot read %s: %s", path, strerror(errno));
        return NBSOAR_ERROR;
    }
    if (r > 0) {
        snprintf(reason, sizeof(reason), "file is %zu bytes, more than max_event_bytes (%zu)", size,
                 sp->max_event_bytes);
        return spool_reject_file(sp, path, name, reason);
    }
    json_t *ev = NULL;
    int parsed = spool_event_parse(sp, buf, size, &ev, reason, sizeof(reason));
    free(buf);
    if (parsed != NBSOAR_OK)
        return spool_reject_file(sp, path, name, reason);
    int rc = h->emit_event(h, ev, err, sizeof(err));
    json_decref(ev);
    if (rc == NBSOAR_RETRY) {
        h->log(h, NBSOAR_LOG_WARN, "%s: host cannot take the event now (%s); retrying next poll", path, err);
        return NBSOAR_RETRY;
    }
    if (rc != NBSOAR_OK) {
        snprintf(reason, sizeof(reason), "refused by the host: %s", err);
        return spool_reject_file(sp, path, name, reason);
    }
    if (h->counter_add != NULL)
        h->counter_add(h, "spool_events_total", 1);
    if (spool_move(path, sp->done_dir, name, NULL, 0, err, sizeof(err)) != NBSOAR_OK) {
        /* Accepted but not moved: the next poll offers it again and the
         * host drops the duplicate by id. */
        h->log(h, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    h->log(h, NBSOAR_LOG_DEBUG, "took %s", path);
    return NBSOAR_OK;
}

/* A finished JSONL file in the folder: consume its lines, then move it. */
static int take_jsonl_file(struct spool *sp, const char *name, long *budget)
{
    const struct nbsoar_host *h = sp->host;
    char path[PATH_MAX], rejected[PATH_MAX + 32], err[PATH_MAX + 256];
    snprintf(path, sizeof(path), "%s/%s", sp->path, name);
    snprintf(rejected, sizeof(rejected), "%s/%s.rejected.jsonl", sp->rejected_dir, name);
    int finished = 0;
    int rc = spool_jsonl_consume(sp, path, 1, rejected, &finished, budget);
    struct stat st;
    if (rc != NBSOAR_OK || !finished || stat(path, &st) != 0)
        return rc;
    /* Forget the cursor first: a crash before the move re-reads the file
     * (the host drops duplicates), never skips a new file on a reused inode. */
    char *key = spool_jsonl_cursor_key(path, st.st_ino);
    if (key == NULL || h->cursor_set(h, key, "") != NBSOAR_OK) {
        free(key);
        return NBSOAR_ERROR;
    }
    free(key);
    if (spool_move(path, sp->done_dir, name, NULL, 0, err, sizeof(err)) != NBSOAR_OK) {
        h->log(h, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

static int poll_folder(struct spool *sp)
{
    char **names;
    size_t count;
    if (list_candidates(sp, &names, &count) != NBSOAR_OK)
        return NBSOAR_ERROR;
    int rc = NBSOAR_OK;
    long budget = sp->batch;
    for (size_t i = 0; i < count && budget > 0; i++) {
        int r;
        if (ends_with(names[i], ".jsonl")) {
            r = take_jsonl_file(sp, names[i], &budget);
        } else {
            r = take_file(sp, names[i]);
            budget--;
        }
        /* A host that cannot take one event now cannot take the next either. */
        if (r == NBSOAR_RETRY) {
            rc = NBSOAR_RETRY;
            break;
        }
        if (r != NBSOAR_OK)
            rc = NBSOAR_ERROR;
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int poll_jsonl(struct spool *sp)
{
    char rejected[PATH_MAX + 32];
    const char *slash = strrchr(sp->path, '/');
    snprintf(rejected, sizeof(rejected), "%s/%s.rejected.jsonl", sp->rejected_dir,
             slash != NULL ? slash + 1 : sp->path);
    int finished = 0;
    long budget = sp->batch;
    return spool_jsonl_consume(sp, sp->path, 0, rejected, &finished, &budget);
}

static int spool_poll(void *state)
{
    struct spool *sp = state;
    return sp->is_folder ? poll_folder(sp) : poll_jsonl(sp);
}

static int spool_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct spool *sp = calloc(1, sizeof(*sp));
    if (sp == NULL)
        return NBSOAR_ERROR;
    *state = sp;
    sp->host = host;
    return spool_conf_load(sp, config);
}

static void spool_shutdown(void *state)
{
    struct spool *sp = state;
    if (sp == NULL)
        return;
    spool_conf_free(sp);
    free(sp);
}

static const struct nbsoar_plugin spool_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "spool",
    .version = "1.0.0",
    .description = "events from a folder of JSON files or from a JSONL file",
    .config = spool_config_keys,
    .init = spool_init,
    .poll = spool_poll,
    .shutdown = spool_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &spool_plugin;
}
