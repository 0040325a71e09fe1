/*
 * file: the dry-run sink.  Every operation it receives is appended to a
 * JSONL file as {time, job: {id, event_id, route, notebook}, operation},
 * whatever its type.
 *
 * Each line is one write() on a descriptor opened with O_APPEND, so lines
 * from concurrent apply() calls (threads or processes) never interleave.
 * The file is opened per operation, so a rotated or deleted file is
 * recreated instead of written into the void.  The line goes through the
 * host's redaction first: a secret the notebook put in an operation never
 * reaches the file.  An operation retried (job->attempt > 1) whose
 * "idempotency_key" is already in the file is not written again.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nbsoar/plugin.h>

struct file_sink {
    const struct nbsoar_host *host;
    char *path;
    int fsync;
};

static const struct nbsoar_config_key file_keys[] = {
    {"path", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED,
     "JSONL file every operation is appended to (created if missing)"},
    {"fsync", NBSOAR_KEY_BOOL, "false", 0,
     "fsync after every line: survives a power cut, costs a disk flush per operation"},
    {NULL, 0, NULL, 0, NULL},
};

/* Transient conditions where trying later can succeed. */
static int errno_is_transient(int e)
{
    return e == ENOSPC || e == EIO || e == EDQUOT || e == EAGAIN || e == EINTR ||
           e == EMFILE || e == ENFILE || e == ENOMEM;
}

static json_t *opt_string(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static void now_iso8601(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char secs[32];
    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03ldZ", secs, ts.tv_nsec / 1000000);
}

/* Opens the file for appending; -1 with errno set on failure. */
static int open_append(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* check mode: an existing regular file we may write, or a folder we may
 * create it in; nothing is created. */
static int check_writable(const struct file_sink *fs)
{
    const struct nbsoar_host *h = fs->host;
    struct stat st;
    if (stat(fs->path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            h->log(h, NBSOAR_LOG_ERROR, "path %s is not a regular file", fs->path);
            return NBSOAR_ERROR;
        }
        if (access(fs->path, W_OK) == 0)
            return NBSOAR_OK;
        h->log(h, NBSOAR_LOG_ERROR, "path %s: %s", fs->path, strerror(errno));
        return NBSOAR_ERROR;
    }
    char *copy = strdup(fs->path);
    if (copy == NULL)
        return NBSOAR_ERROR;
    const char *dir = dirname(copy);
    int rc = access(dir, W_OK | X_OK) == 0 ? NBSOAR_OK : NBSOAR_ERROR;
    if (rc != NBSOAR_OK)
        h->log(h, NBSOAR_LOG_ERROR, "path %s: cannot create a file in %s: %s", fs->path, dir, strerror(errno));
    free(copy);
    return rc;
}

static int file_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct file_sink *fs = calloc(1, sizeof(*fs));
    if (fs == NULL)
        return NBSOAR_ERROR;
    *state = fs;
    fs->host = host;
    const char *path = json_string_value(json_object_get(config, "path"));
    if (path == NULL || path[0] == '\0') {
        host->log(host, NBSOAR_LOG_ERROR, "key path: a file name is required");
        return NBSOAR_ERROR;
    }
    fs->path = strdup(path);
    if (fs->path == NULL)
        return NBSOAR_ERROR;
    fs->fsync = json_is_true(json_object_get(config, "fsync"));
    if (host->check_mode)
        return check_writable(fs);
    /* Create it now so a bad path is reported at start-up, not at the first operation. */
    int fd = open_append(fs->path);
    if (fd < 0) {
        host->log(host, NBSOAR_LOG_ERROR, "cannot open %s for appending: %s", fs->path, strerror(errno));
        return NBSOAR_ERROR;
    }
    struct stat st;
    int is_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!is_reg) {
        host->log(host, NBSOAR_LOG_ERROR, "path %s is not a regular file", fs->path);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

/* One redacted JSON line, newline included.  OWNED: free(). */
static char *format_line(const struct file_sink *fs, const json_t *operation, const struct nbsoar_job *job)
{
    char when[64];
    now_iso8601(when, sizeof(when));
    json_t *jobj = json_object();
    json_object_set_new(jobj, "id", opt_string(job != NULL ? job->id : NULL));
    json_object_set_new(jobj, "event_id", opt_string(job != NULL ? job->event_id : NULL));
    json_object_set_new(jobj, "route", opt_string(job != NULL ? job->route : NULL));
    json_object_set_new(jobj, "notebook", opt_string(job != NULL ? job->notebook : NULL));
    json_t *line = json_object();
    json_object_set_new(line, "time", json_string(when));
    json_object_set_new(line, "job", jobj);
    /* json_deep_copy: the operation is borrowed and const. */
    json_object_set_new(line, "operation", operation != NULL ? json_deep_copy(operation) : json_null());
    /* Compact output escapes every control character, so the text is one line. */
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (text == NULL)
        return NULL;
    char *clean = fs->host->redact(fs->host, text);
    free(text);
    if (clean == NULL)
        return NULL;
    size_t n = strlen(clean);
    char *out = realloc(clean, n + 2);
    if (out == NULL) {
        free(clean);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

static int fail(const struct file_sink *fs, json_t **result, int e, const char *what)
{
    int rc = errno_is_transient(e) ? NBSOAR_RETRY : NBSOAR_ERROR;
    char msg[512];
    snprintf(msg, sizeof(msg), "cannot %s %s: %s", what, fs->path, strerror(e));
    fs->host->log(fs->host, rc == NBSOAR_RETRY ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR, "%s", msg);
    *result = json_pack("{s:s}", "error", msg);
    return rc;
}

/* 1 when a line of the file already carries this idempotency key.  Only
 * asked on a retry (attempt > 1): the host crashed after the write and
 * before it recorded the operation as applied, so the line may be there. */
static int already_written(const struct file_sink *fs, const char *key)
{
    json_t *k = json_string(key);
    char *quoted = k ? json_dumps(k, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(k);
    char *needle = NULL;
    if (quoted == NULL || asprintf(&needle, "\"idempotency_key\":%s", quoted) < 0)
        needle = NULL;
    free(quoted);
    FILE *f = needle ? fopen(fs->path, "r") : NULL;
    int found = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && !found && getline(&line, &cap, f) > 0)
        found = strstr(line, needle) != NULL;
    free(line);
    free(needle);
    if (f != NULL)
        fclose(f);
    return found;
}

static int file_apply(void *state, const json_t *operation, const struct nbsoar_job *job, json_t **result)
{
    struct file_sink *fs = state;
    *result = NULL;
    const char *key = json_string_value(json_object_get(operation, "idempotency_key"));
    if (key != NULL && job != NULL && job->attempt > 1 && already_written(fs, key)) {
        *result = json_pack("{s:s, s:b}", "written", fs->path, "duplicate", 1);
        return NBSOAR_OK;
    }
    char *line = format_line(fs, operation, job);
    if (line == NULL)
        return fail(fs, result, ENOMEM, "format a line for");
    size_t len = strlen(line);
    int fd = open_append(fs->path);
    if (fd < 0) {
        int e = errno;
        free(line);
        return fail(fs, result, e, "open");
    }
    ssize_t n = write(fd, line, len);
    int e = errno;
    free(line);
    if (n < 0 || (size_t)n != len) {
        close(fd);
        /* A short write on a regular file means the disk filled up. */
        return fail(fs, result, n < 0 ? e : ENOSPC, "append to");
    }
    if (fs->fsync && fsync(fd) != 0) {
        e = errno;
        close(fd);
        return fail(fs, result, e, "fsync");
    }
    if (close(fd) != 0)
        return fail(fs, result, errno, "close");
    *result = json_pack("{s:s}", "written", fs->path);
    return NBSOAR_OK;
}

static void file_shutdown(void *state)
{
    struct file_sink *fs = state;
    if (fs == NULL)
        return;
    free(fs->path);
    free(fs);
}

static const char *const file_operations[] = {"*", NULL};

static const struct nbsoar_plugin file_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "file",
    .version = "1.0.0",
    .description = "dry-run sink: appends every operation, with its job, to a JSONL file",
    .config = file_keys,
    .init = file_init,
    .apply = file_apply,
    .operations = file_operations,
    .shutdown = file_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &file_plugin;
}
