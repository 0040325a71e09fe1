/* spool configuration: the declared keys and their reading. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spool.h"

#define SPOOL_DEFAULT_PATTERN "*.json"
#define SPOOL_DEFAULT_MAX_BYTES 10485760 /* 10 MiB */
#define SPOOL_DEFAULT_BATCH 1000
#define STR(x) #x
#define XSTR(x) STR(x)

const struct nbsoar_config_key spool_config_keys[] = {
    {"path", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED,
     "a folder (one event per *.json file) or a JSONL file (one event per line)"},
    {"pattern", NBSOAR_KEY_STRING, SPOOL_DEFAULT_PATTERN, 0,
     "file names taken from the folder (fnmatch); names starting with '.' are never taken"},
    {"done_dir", NBSOAR_KEY_STRING, NULL, 0,
     "where accepted files go (default: done/ inside the folder; relative to it)"},
    {"rejected_dir", NBSOAR_KEY_STRING, NULL, 0,
     "where malformed files and lines go, with the reason (default: rejected/ inside the "
     "folder, or beside the JSONL file)"},
    {"max_event_bytes", NBSOAR_KEY_INT, XSTR(SPOOL_DEFAULT_MAX_BYTES), 0,
     "largest accepted event file or line, in bytes"},
    {"source_name", NBSOAR_KEY_STRING, NULL, 0,
     "the source filled into events that have none (default: the section name)"},
    {"require_id", NBSOAR_KEY_BOOL, "true", 0,
     "reject events without an id; false: derive id = \"sha256:\" + hash of the event"},
    {"batch", NBSOAR_KEY_INT, XSTR(SPOOL_DEFAULT_BATCH), 0,
     "at most this many files or lines per poll, so one poll never runs long"},
    {NULL, 0, NULL, 0, NULL},
};

static const char *conf_str(const json_t *config, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v != NULL && v[0] != '\0' ? v : dflt;
}

static long long conf_int(const json_t *config, const char *key, long long dflt)
{
    const json_t *v = json_object_get(config, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* "path" when absolute, else base/path.  OWNED: free(). */
static char *resolve(const char *base, const char *path)
{
    char *out = NULL;
    if (path[0] == '/')
        return strdup(path);
    if (asprintf(&out, "%s/%s", base, path) < 0)
        return NULL;
    return out;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Folder or JSONL file?  A JSONL file may not exist yet. */
static int detect_mode(struct spool *sp)
{
    const struct nbsoar_host *h = sp->host;
    struct stat st;
    if (stat(sp->path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            sp->is_folder = 1;
            return NBSOAR_OK;
        }
        if (S_ISREG(st.st_mode))
            return NBSOAR_OK;
        h->log(h, NBSOAR_LOG_ERROR, "key path: %s is neither a folder nor a regular file", sp->path);
        return NBSOAR_ERROR;
    }
    if (errno == ENOENT && ends_with(sp->path, ".jsonl"))
        return NBSOAR_OK;
    h->log(h, NBSOAR_LOG_ERROR, "key path: %s: %s", sp->path, strerror(errno));
    return NBSOAR_ERROR;
}

static int make_dir(const struct spool *sp, const char *key, const char *dir)
{
    char err[512];
    if (sp->host->check_mode || spool_mkdirs(dir, err, sizeof(err)) == NBSOAR_OK)
        return NBSOAR_OK;
    sp->host->log(sp->host, NBSOAR_LOG_ERROR, "key %s: %s", key, err);
    return NBSOAR_ERROR;
}

/* Files are moved with rename(), which cannot cross file systems. */
static int same_fs(const struct spool *sp, const char *key, const char *dir)
{
    struct stat a, b;
    if (stat(sp->path, &a) != 0 || stat(dir, &b) != 0 || a.st_dev == b.st_dev)
        return NBSOAR_OK; /* a folder not created yet (check mode) cannot be compared */
    sp->host->log(sp->host, NBSOAR_LOG_ERROR,
                  "key %s: %s is on another file system than %s; files are moved by rename()",
                  key, dir, sp->path);
    return NBSOAR_ERROR;
}

int spool_conf_load(struct spool *sp, const json_t *config)
{
    const struct nbsoar_host *h = sp->host;
    const char *path = conf_str(config, "path", NULL);
    if (path == NULL) {
        h->log(h, NBSOAR_LOG_ERROR, "key path: a folder or a .jsonl file is required");
        return NBSOAR_ERROR;
    }
    sp->path = strdup(path);
    sp->pattern = strdup(conf_str(config, "pattern", SPOOL_DEFAULT_PATTERN));
    sp->source_name = strdup(conf_str(config, "source_name", h->instance != NULL ? h->instance : "spool"));
    if (sp->path == NULL || sp->pattern == NULL || sp->source_name == NULL)
        return NBSOAR_ERROR;
    /* A trailing slash would give "dir//done" in every message. */
    size_t n = strlen(sp->path);
    while (n > 1 && sp->path[n - 1] == '/')
        sp->path[--n] = '\0';

    long long max = conf_int(config, "max_event_bytes", SPOOL_DEFAULT_MAX_BYTES);
    long long batch = conf_int(config, "batch", SPOOL_DEFAULT_BATCH);
    if (max <= 0 || batch <= 0) {
        h->log(h, NBSOAR_LOG_ERROR, "key %s: must be a positive number",
               max <= 0 ? "max_event_bytes" : "batch");
        return NBSOAR_ERROR;
    }
    sp->max_event_bytes = (size_t)max;
    sp->batch = (long)batch;
    const json_t *require_id = json_object_get(config, "require_id");
    sp->require_id = require_id == NULL || json_is_true(require_id);

    if (detect_mode(sp) != NBSOAR_OK)
        return NBSOAR_ERROR;

    char *copy = strdup(sp->path);
    if (copy == NULL)
        return NBSOAR_ERROR;
    const char *base = sp->is_folder ? sp->path : dirname(copy);
    if (sp->is_folder)
        sp->done_dir = resolve(base, conf_str(config, "done_dir", "done"));
    else if (conf_str(config, "done_dir", NULL) != NULL)
        h->log(h, NBSOAR_LOG_WARN, "key done_dir: ignored, a JSONL file is read in place");
    sp->rejected_dir = resolve(base, conf_str(config, "rejected_dir", "rejected"));
    free(copy);
    if ((sp->is_folder && sp->done_dir == NULL) || sp->rejected_dir == NULL)
        return NBSOAR_ERROR;
    if (sp->is_folder && make_dir(sp, "done_dir", sp->done_dir) != NBSOAR_OK)
        return NBSOAR_ERROR;
    if (make_dir(sp, "rejected_dir", sp->rejected_dir) != NBSOAR_OK)
        return NBSOAR_ERROR;
    if (sp->is_folder && (same_fs(sp, "done_dir", sp->done_dir) != NBSOAR_OK ||
                          same_fs(sp, "rejected_dir", sp->rejected_dir) != NBSOAR_OK))
        return NBSOAR_ERROR;
    return NBSOAR_OK;
}

void spool_conf_free(struct spool *sp)
{
    free(sp->path);
    free(sp->pattern);
    free(sp->done_dir);
    free(sp->rejected_dir);
    free(sp->source_name);
}
