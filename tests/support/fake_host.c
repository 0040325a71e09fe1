/* The fake host's services: see fake_host.h. */
#include "fake_host.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fake_host *fake_of(const struct nbsoar_host *h)
{
    return (struct fake_host *)h->self;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "fake host: out of memory\n");
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

/* Masks every registered secret; caller holds the lock.  Scans forward past
 * each mask, so a secret that contains "*" cannot loop.  OWNED: free(). */
static char *redact_locked(struct fake_host *fh, const char *text)
{
    char *out = xstrdup(text);
    for (size_t i = 0; i < fh->n_secrets; i++) {
        const char *secret = fh->secrets[i];
        size_t slen = strlen(secret), from = 0;
        char *hit;
        while ((hit = strstr(out + from, secret)) != NULL) {
            size_t head = (size_t)(hit - out), tail = strlen(hit + slen);
            char *next = xrealloc(NULL, head + 3 + tail + 1);
            memcpy(next, out, head);
            memcpy(next + head, "***", 3);
            memcpy(next + head + 3, hit + slen, tail + 1);
            free(out);
            out = next;
            from = head + 3;
        }
    }
    return out;
}

static void log_append_locked(struct fake_host *fh, const char *text)
{
    size_t n = strlen(text);
    if (fh->log_len + n + 1 > fh->log_cap) {
        fh->log_cap = (fh->log_len + n + 1) * 2;
        fh->log = xrealloc(fh->log, fh->log_cap);
    }
    memcpy(fh->log + fh->log_len, text, n + 1);
    fh->log_len += n;
}

static void fake_vlog(const struct nbsoar_host *h, enum nbsoar_log_level lvl,
                      const json_t *fields, const char *fmt, va_list ap)
{
    static const char *const names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    struct fake_host *fh = fake_of(h);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    char *fields_text = fields != NULL ? json_dumps(fields, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char *line = NULL;
    if (asprintf(&line, "%s %s: %s%s%s\n", names[lvl <= NBSOAR_LOG_DEBUG ? lvl : NBSOAR_LOG_DEBUG],
                 fh->instance, msg, fields_text != NULL ? " " : "",
                 fields_text != NULL ? fields_text : "") < 0)
        abort();
    pthread_mutex_lock(&fh->lock);
    char *clean = redact_locked(fh, line);
    log_append_locked(fh, clean);
    pthread_mutex_unlock(&fh->lock);
    if (getenv("NBSOAR_FAKE_HOST_ECHO") != NULL)
        fputs(clean, stderr);
    free(clean);
    free(line);
    free(fields_text);
    free(msg);
}

static void fake_log(const struct nbsoar_host *h, enum nbsoar_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fake_vlog(h, lvl, NULL, fmt, ap);
    va_end(ap);
}

static void fake_logf(const struct nbsoar_host *h, enum nbsoar_log_level lvl,
                      const json_t *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fake_vlog(h, lvl, fields, fmt, ap);
    va_end(ap);
}

static void fake_secret_add(const struct nbsoar_host *h, const char *value)
{
    struct fake_host *fh = fake_of(h);
    if (value == NULL || value[0] == '\0')
        return;
    pthread_mutex_lock(&fh->lock);
    fh->secrets = xrealloc(fh->secrets, (fh->n_secrets + 1) * sizeof(*fh->secrets));
    fh->secrets[fh->n_secrets++] = xstrdup(value);
    pthread_mutex_unlock(&fh->lock);
}

static char *fake_redact(const struct nbsoar_host *h, const char *text)
{
    struct fake_host *fh = fake_of(h);
    if (text == NULL)
        return NULL;
    pthread_mutex_lock(&fh->lock);
    char *out = redact_locked(fh, text);
    pthread_mutex_unlock(&fh->lock);
    return out;
}

static int fake_vault_get(const struct nbsoar_host *h, const char *name, json_t **out)
{
    struct fake_host *fh = fake_of(h);
    pthread_mutex_lock(&fh->lock);
    json_t *v = json_object_get(fh->vault, name);
    *out = v != NULL ? json_deep_copy(v) : NULL;
    pthread_mutex_unlock(&fh->lock);
    return *out != NULL ? NBSOAR_OK : NBSOAR_ERROR;
}

static int fake_http(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                     const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                     char *err, size_t errlen)
{
    (void)h;
    (void)ep;
    (void)req;
    memset(resp, 0, sizeof(*resp));
    snprintf(err, errlen, "no HTTP in fake host");
    return NBSOAR_ERROR;
}

static void fake_http_response_free(struct nbsoar_http_response *resp)
{
    free(resp->body);
    json_decref(resp->json);
    free(resp->content_type);
    free(resp->location);
    memset(resp, 0, sizeof(*resp));
}

static int fake_emit_event(const struct nbsoar_host *h, const json_t *event, char *err, size_t errlen)
{
    struct fake_host *fh = fake_of(h);
    int rc = NBSOAR_OK;
    pthread_mutex_lock(&fh->lock);
    fh->emit_calls++;
    if (fh->emit_failures != 0) {
        rc = fh->emit_rc;
        if (fh->emit_failures > 0)
            fh->emit_failures--;
        snprintf(err, errlen, "fake host: emit refused");
    } else {
        json_array_append_new(fh->events, json_deep_copy(event));
    }
    pthread_mutex_unlock(&fh->lock);
    return rc;
}

static int fake_cursor_get(const struct nbsoar_host *h, const char *key, char **value)
{
    struct fake_host *fh = fake_of(h);
    pthread_mutex_lock(&fh->lock);
    const char *v = json_string_value(json_object_get(fh->cursors, key));
    *value = v != NULL ? xstrdup(v) : NULL;
    pthread_mutex_unlock(&fh->lock);
    return NBSOAR_OK;
}

static int fake_cursor_set(const struct nbsoar_host *h, const char *key, const char *value)
{
    struct fake_host *fh = fake_of(h);
    pthread_mutex_lock(&fh->lock);
    json_object_set_new(fh->cursors, key, json_string(value));
    pthread_mutex_unlock(&fh->lock);
    return NBSOAR_OK;
}

static void fake_counter_add(const struct nbsoar_host *h, const char *name, double value)
{
    struct fake_host *fh = fake_of(h);
    pthread_mutex_lock(&fh->lock);
    double old = json_real_value(json_object_get(fh->counters, name));
    json_object_set_new(fh->counters, name, json_real(old + value));
    pthread_mutex_unlock(&fh->lock);
}

static void fake_progress(const struct nbsoar_host *h, int done, int total, const char *label)
{
    (void)h;
    (void)done;
    (void)total;
    (void)label;
}

struct fake_host *fake_host_new(const char *instance)
{
    struct fake_host *fh = xrealloc(NULL, sizeof(*fh));
    memset(fh, 0, sizeof(*fh));
    pthread_mutex_init(&fh->lock, NULL);
    fh->instance = xstrdup(instance);
    fh->vault = json_object();
    fh->events = json_array();
    fh->cursors = json_object();
    fh->counters = json_object();
    fh->log = xstrdup("");
    fh->log_cap = 1;
    fh->host = (struct nbsoar_host){
        .abi_major = NBSOAR_ABI_MAJOR,
        .abi_minor = NBSOAR_ABI_MINOR,
        .struct_size = sizeof(struct nbsoar_host),
        .self = fh,
        .instance = fh->instance,
        .log = fake_log,
        .logf = fake_logf,
        .secret_add = fake_secret_add,
        .redact = fake_redact,
        .vault_get = fake_vault_get,
        .http = fake_http,
        .http_response_free = fake_http_response_free,
        .emit_event = fake_emit_event,
        .cursor_get = fake_cursor_get,
        .cursor_set = fake_cursor_set,
        .counter_add = fake_counter_add,
        .progress = fake_progress,
    };
    return fh;
}

void fake_host_free(struct fake_host *fh)
{
    if (fh == NULL)
        return;
    json_decref(fh->vault);
    json_decref(fh->events);
    json_decref(fh->cursors);
    json_decref(fh->counters);
    for (size_t i = 0; i < fh->n_secrets; i++)
        free(fh->secrets[i]);
    free(fh->secrets);
    free(fh->log);
    free(fh->instance);
    pthread_mutex_destroy(&fh->lock);
    free(fh);
}

void fake_host_stop(struct fake_host **fh, const struct nbsoar_plugin *p, void **state)
{
    if (p != NULL && *state != NULL)
        p->shutdown(*state);
    *state = NULL;
    fake_host_free(*fh);
    *fh = NULL;
}

const char *fake_host_log(struct fake_host *fh)
{
    return fh->log;
}

void fake_host_log_clear(struct fake_host *fh)
{
    pthread_mutex_lock(&fh->lock);
    fh->log_len = 0;
    fh->log[0] = '\0';
    pthread_mutex_unlock(&fh->lock);
}

void fake_host_fail_emit(struct fake_host *fh, int rc, int times)
{
    pthread_mutex_lock(&fh->lock);
    fh->emit_rc = rc;
    fh->emit_failures = times;
    pthread_mutex_unlock(&fh->lock);
}

const struct nbsoar_plugin *fake_host_load_plugin(const char *name, const char *path)
{
    char built[4096];
    if (path == NULL) {
        const char *root = getenv("NBSOAR_BUILD_ROOT");
        snprintf(built, sizeof(built), "%s/plugins/%s/%s.so", root != NULL ? root : ".", name, name);
        path = built;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "fake host: %s\n", dlerror());
        return NULL;
    }
    nbsoar_plugin_entry_fn entry = (nbsoar_plugin_entry_fn)dlsym(lib, NBSOAR_PLUGIN_ENTRY);
    if (entry == NULL) {
        fprintf(stderr, "fake host: %s: no symbol %s\n", path, NBSOAR_PLUGIN_ENTRY);
        return NULL;
    }
    const struct nbsoar_plugin *p = entry();
    if (p == NULL || p->abi_major != NBSOAR_ABI_MAJOR || p->abi_minor > NBSOAR_ABI_MINOR ||
        p->struct_size < sizeof(struct nbsoar_plugin)) {
        fprintf(stderr, "fake host: %s: ABI mismatch\n", path);
        return NULL;
    }
    return p;
}

/* "30s", "500ms", "2m", "1h" or bare seconds, in milliseconds. */
static json_int_t duration_ms(const char *text)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (strcmp(end, "ms") == 0)
        return (json_int_t)v;
    if (strcmp(end, "m") == 0)
        return (json_int_t)(v * 60000);
    if (strcmp(end, "h") == 0)
        return (json_int_t)(v * 3600000);
    return (json_int_t)(v * 1000);
}

static json_t *default_value(const struct nbsoar_config_key *k)
{
    switch (k->type) {
    case NBSOAR_KEY_INT:
        return json_integer(strtoll(k->default_value, NULL, 10));
    case NBSOAR_KEY_BOOL:
        return json_boolean(strcmp(k->default_value, "true") == 0 || strcmp(k->default_value, "1") == 0);
    case NBSOAR_KEY_DURATION_MS:
        return json_integer(duration_ms(k->default_value));
    case NBSOAR_KEY_LIST: {
        json_t *list = json_array();
        char *copy = xstrdup(k->default_value), *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
            while (*item == ' ')
                item++;
            json_array_append_new(list, json_string(item));
        }
        free(copy);
        return list;
    }
    case NBSOAR_KEY_STRING:
    default:
        return json_string(k->default_value);
    }
}

json_t *fake_host_config(const struct nbsoar_plugin *plugin, const char *json_overrides)
{
    json_t *conf = json_object();
    for (const struct nbsoar_config_key *k = plugin->config; k != NULL && k->name != NULL; k++) {
        if (k->default_value != NULL && !(k->flags & NBSOAR_KEY_PREFIX))
            json_object_set_new(conf, k->name, default_value(k));
    }
    if (json_overrides != NULL) {
        json_error_t jerr;
        json_t *over = json_loads(json_overrides, 0, &jerr);
        if (over == NULL) {
            fprintf(stderr, "fake host: bad overrides: %s\n", jerr.text);
            abort();
        }
        json_object_update(conf, over);
        json_decref(over);
    }
    return conf;
}
