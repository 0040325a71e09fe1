#include "host_services.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "log.h"
#include "mail_smtp.h"
#include "redact.h"
#include "ws_client.h"

#define NO_JOURNAL "no journal in this command"

struct host_env {
    const struct vault *vault;
    host_http_fn http;
    struct host_event_hooks hooks;
    int have_hooks;
    pthread_mutex_t lock; /* guards counters and every instance's last_error */
    json_t *counters;     /* instance -> {name -> real} */
};

struct host_env *host_env_new(const struct vault *vault, host_http_fn http)
{
    struct host_env *env = calloc(1, sizeof(*env));
    if (env == NULL)
        return NULL;
    env->vault = vault;
    env->http = http;
    env->counters = json_object();
    pthread_mutex_init(&env->lock, NULL);
    if (env->counters == NULL) {
        host_env_free(env);
        return NULL;
    }
    return env;
}

void host_env_set_event_hooks(struct host_env *env, const struct host_event_hooks *hooks)
{
    env->have_hooks = hooks != NULL;
    if (hooks != NULL)
        env->hooks = *hooks;
    else
        memset(&env->hooks, 0, sizeof(env->hooks));
}

double host_env_counter(const struct host_env *env, const char *instance, const char *name)
{
    pthread_mutex_lock((pthread_mutex_t *)&env->lock);
    double v = json_real_value(json_object_get(json_object_get(env->counters, instance), name));
    pthread_mutex_unlock((pthread_mutex_t *)&env->lock);
    return v;
}

json_t *host_env_counters(const struct host_env *env)
{
    pthread_mutex_lock((pthread_mutex_t *)&env->lock);
    json_t *copy = json_deep_copy(env->counters);
    pthread_mutex_unlock((pthread_mutex_t *)&env->lock);
    return copy;
}

void host_env_free(struct host_env *env)
{
    if (env == NULL)
        return;
    json_decref(env->counters);
    pthread_mutex_destroy(&env->lock);
    free(env);
}

static struct plugin_instance *self_of(const struct nbsoar_host *h)
{
    return (struct plugin_instance *)h->self;
}

/* ---- logging ---------------------------------------------------------- */

static void remember_error(struct plugin_instance *inst, const char *fmt, va_list ap)
{
    char *raw = NULL;
    if (vasprintf(&raw, fmt, ap) < 0)
        return;
    char *clean = redact_dup(raw);
    free(raw);
    pthread_mutex_lock(&inst->env->lock);
    free(inst->last_error);
    inst->last_error = clean;
    pthread_mutex_unlock(&inst->env->lock);
}

static void svc_vlog(const struct nbsoar_host *h, enum nbsoar_log_level lvl, const json_t *fields,
                     const char *fmt, va_list ap)
{
    struct plugin_instance *inst = self_of(h);
    if (lvl <= NBSOAR_LOG_ERROR) {
        va_list copy;
        va_copy(copy, ap);
        remember_error(inst, fmt, copy);
        va_end(copy);
    }
    log_vwrite(lvl, inst->name, fields, fmt, ap);
}

static void svc_log(const struct nbsoar_host *h, enum nbsoar_log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    svc_vlog(h, lvl, NULL, fmt, ap);
    va_end(ap);
}

static void svc_logf(const struct nbsoar_host *h, enum nbsoar_log_level lvl, const json_t *fields,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    svc_vlog(h, lvl, json_is_object(fields) ? fields : NULL, fmt, ap);
    va_end(ap);
}

/* ---- secrets and vault ------------------------------------------------ */

static void svc_secret_add(const struct nbsoar_host *h, const char *value)
{
    (void)h;
    redact_add(value);
}

static char *svc_redact(const struct nbsoar_host *h, const char *text)
{
    (void)h;
    return redact_dup(text);
}

static int svc_vault_get(const struct nbsoar_host *h, const char *name, json_t **out)
{
    struct plugin_instance *inst = self_of(h);
    if (name == NULL || out == NULL || vault_get(inst->env->vault, name, out) < 0)
        return NBSOAR_ERROR;
    return NBSOAR_OK;
}

/* ---- HTTP ------------------------------------------------------------- */

static int svc_http(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                    const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                    char *err, size_t errlen)
{
    struct plugin_instance *inst = self_of(h);
    if (resp != NULL)
        memset(resp, 0, sizeof(*resp));
    if (inst->env->http == NULL) {
        snprintf(err, errlen, "HTTP is not available in this command");
        return NBSOAR_ERROR;
    }
    if (ep != NULL && ep->auth_header != NULL) {
        /* Both the whole line and its value: either may end up in a message. */
        redact_add(ep->auth_header);
        const char *colon = strchr(ep->auth_header, ':');
        if (colon != NULL)
            redact_add(colon + 1 + strspn(colon + 1, " \t"));
    }
    return inst->env->http(ep, req, resp, err, errlen);
}

/* ---- WebSocket ------------------------------------------------------- */

static int svc_ws_connect(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                          const char *url, const char *const *subprotocols, struct nbsoar_ws **out,
                          char *chosen_protocol, size_t cp_len, char *err, size_t errlen)
{
    (void)h;
    return ws_client_connect(ep, url, subprotocols, out, chosen_protocol, cp_len, err, errlen);
}

static int svc_ws_send(const struct nbsoar_host *h, struct nbsoar_ws *ws, const void *data, size_t len,
                       int binary, char *err, size_t errlen)
{
    (void)h;
    return ws_client_send(ws, data, len, binary, err, errlen);
}

static int svc_ws_recv(const struct nbsoar_host *h, struct nbsoar_ws *ws, int timeout_ms, void **data,
                       size_t *len, int *binary, char *err, size_t errlen)
{
    (void)h;
    return ws_client_recv(ws, timeout_ms, data, len, binary, err, errlen);
}

static void svc_ws_close(const struct nbsoar_host *h, struct nbsoar_ws *ws)
{
    (void)h;
    ws_client_close(ws);
}

/* ---- journal hooks ---------------------------------------------------- */

static int svc_emit_event(const struct nbsoar_host *h, const json_t *event, char *err, size_t errlen)
{
    struct plugin_instance *inst = self_of(h);
    if (!inst->env->have_hooks || inst->env->hooks.emit_event == NULL) {
        snprintf(err, errlen, NO_JOURNAL);
        return NBSOAR_ERROR;
    }
    return inst->env->hooks.emit_event(inst->env->hooks.arg, inst->name, event, err, errlen);
}

static int svc_cursor_get(const struct nbsoar_host *h, const char *key, char **value)
{
    struct plugin_instance *inst = self_of(h);
    *value = NULL;
    if (!inst->env->have_hooks || inst->env->hooks.cursor_get == NULL) {
        log_write(NBSOAR_LOG_ERROR, inst->name, NULL, "cursor_get(%s): " NO_JOURNAL, key);
        return NBSOAR_ERROR;
    }
    return inst->env->hooks.cursor_get(inst->env->hooks.arg, inst->name, key, value);
}

static int svc_cursor_set(const struct nbsoar_host *h, const char *key, const char *value)
{
    struct plugin_instance *inst = self_of(h);
    if (!inst->env->have_hooks || inst->env->hooks.cursor_set == NULL) {
        log_write(NBSOAR_LOG_ERROR, inst->name, NULL, "cursor_set(%s): " NO_JOURNAL, key);
        return NBSOAR_ERROR;
    }
    return inst->env->hooks.cursor_set(inst->env->hooks.arg, inst->name, key, value);
}

/* ---- counters and progress ------------------------------------------- */

static void svc_counter_add(const struct nbsoar_host *h, const char *name, double value)
{
    struct plugin_instance *inst = self_of(h);
    if (name == NULL)
        return;
    pthread_mutex_lock(&inst->env->lock);
    json_t *mine = json_object_get(inst->env->counters, inst->name);
    if (mine == NULL) {
        mine = json_object();
        json_object_set_new(inst->env->counters, inst->name, mine);
    }
    double cur = json_real_value(json_object_get(mine, name));
    json_object_set_new(mine, name, json_real(cur + value));
    pthread_mutex_unlock(&inst->env->lock);
}

static void svc_progress(const struct nbsoar_host *h, int done, int total, const char *label)
{
    struct plugin_instance *inst = self_of(h);
    if (!isatty(STDERR_FILENO))
        return;
    char *clean = redact_dup(label ? label : "");
    fprintf(stderr, "\r[%s] %s %d/%d\033[K", inst->name, clean ? clean : "", done, total);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
    free(clean);
}

/* ---- mail ------------------------------------------------------------- */

static int svc_mail_send(const struct nbsoar_host *h, const struct nbsoar_mail *m, char *err,
                         size_t errlen)
{
    (void)h;
    if (m == NULL) {
        snprintf(err, errlen, "mail_send: no message");
        return NBSOAR_ERROR;
    }
    return mail_smtp_send(m, err, errlen);
}

/* ---- instances -------------------------------------------------------- */

static void fill_table(struct plugin_instance *inst, int check_mode)
{
    inst->host = (struct nbsoar_host){
        .abi_major = NBSOAR_ABI_MAJOR,
        .abi_minor = NBSOAR_ABI_MINOR,
        .struct_size = sizeof(struct nbsoar_host),
        .self = inst,
        .instance = inst->name,
        .check_mode = check_mode,
        .log = svc_log,
        .logf = svc_logf,
        .secret_add = svc_secret_add,
        .redact = svc_redact,
        .vault_get = svc_vault_get,
        .http = svc_http,
        .http_response_free = http_response_free,
        .emit_event = svc_emit_event,
        .cursor_get = svc_cursor_get,
        .cursor_set = svc_cursor_set,
        .counter_add = svc_counter_add,
        .progress = svc_progress,
        .ws_connect = svc_ws_connect,
        .ws_send = svc_ws_send,
        .ws_recv = svc_ws_recv,
        .ws_close = svc_ws_close,
        .mail_send = svc_mail_send,
    };
}

static void instance_free(struct plugin_instance *inst)
{
    free(inst->name);
    free(inst->last_error);
    free(inst);
}

int plugin_instance_start(struct host_env *env, const struct loaded_plugin *plugin,
                          const char *name, const json_t *config, int check_mode,
                          struct plugin_instance **out, char *err, size_t errlen)
{
    *out = NULL;
    struct plugin_instance *inst = calloc(1, sizeof(*inst));
    if (inst == NULL || (inst->name = strdup(name)) == NULL) {
        snprintf(err, errlen, "out of memory");
        free(inst);
        return NBSOAR_ERROR;
    }
    inst->plugin = plugin;
    inst->env = env;
    fill_table(inst, check_mode);
    if (plugin->def.init == NULL) {
        *out = inst;
        return NBSOAR_OK;
    }
    json_t *empty = config ? NULL : json_object();
    int rc = plugin->def.init(&inst->host, config ? config : empty, &inst->state);
    json_decref(empty);
    if (rc == NBSOAR_OK) {
        *out = inst;
        return NBSOAR_OK;
    }
    /* The host cleans up after a failed init: the plugin may hold half its state. */
    if (plugin->def.shutdown != NULL)
        plugin->def.shutdown(inst->state);
    if (inst->last_error != NULL)
        snprintf(err, errlen, "init of plugin '%s' failed: %s", plugin->def.name, inst->last_error);
    else
        snprintf(err, errlen, "init of plugin '%s' failed (returned %d, logged no error)",
                 plugin->def.name, rc);
    redact_buf(err, errlen);
    instance_free(inst);
    return NBSOAR_ERROR;
}

void plugin_instance_stop(struct plugin_instance *inst)
{
    if (inst == NULL)
        return;
    if (inst->plugin->def.shutdown != NULL)
        inst->plugin->def.shutdown(inst->state);
    instance_free(inst);
}

int plugin_instance_poll(struct plugin_instance *inst)
{
    if (inst->plugin->def.poll == NULL)
        return NBSOAR_ERROR;
    return inst->plugin->def.poll(inst->state);
}

int plugin_instance_run(struct plugin_instance *inst, const struct nbsoar_job *job,
                        struct nbsoar_run_result *res)
{
    if (inst->plugin->def.run == NULL)
        return NBSOAR_ERROR;
    return inst->plugin->def.run(inst->state, job, res);
}

int plugin_instance_apply(struct plugin_instance *inst, const json_t *operation,
                          const struct nbsoar_job *job, json_t **result)
{
    if (inst->plugin->def.apply == NULL)
        return NBSOAR_ERROR;
    return inst->plugin->def.apply(inst->state, operation, job, result);
}

int plugin_accepts_operation(const struct loaded_plugin *plugin, const char *type)
{
    for (const char *const *op = plugin->def.operations; op != NULL && *op != NULL; op++)
        if (strcmp(*op, "*") == 0 || (type != NULL && strcmp(*op, type) == 0))
            return 1;
    return 0;
}
