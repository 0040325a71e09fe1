/* The services table handed to plugins (struct nbsoar_host) and the
 * lifecycle of plugin instances.
 *
 * A host_env is shared by every instance of one command: the vault, the
 * HTTP client, counters, and the event hooks through which sources reach
 * the journal.  Each plugin instance gets its own nbsoar_host table whose
 * `self` points back at the instance, so log lines carry the instance name
 * and counters are kept per instance.
 *
 * Lifecycle: plugin_instance_start() calls init() (in check mode when
 * asked); if init fails, shutdown() is still called before returning.
 * plugin_instance_stop() calls shutdown() and frees the instance. */
#ifndef NBSOAR_HOST_SERVICES_H
#define NBSOAR_HOST_SERVICES_H

#include <jansson.h>
#include <stddef.h>

#include "nbsoar/plugin.h"
#include "plugin_loader.h"
#include "vault.h"

/* The HTTP client behind nbsoar_host.http: http_request() from
 * http_client.h in the real host, a fake in tests, NULL when a command
 * has none (the service then answers NBSOAR_ERROR). */
typedef int (*host_http_fn)(const struct nbsoar_http_endpoint *ep,
                            const struct nbsoar_http_request *req,
                            struct nbsoar_http_response *resp, char *err, size_t errlen);

/* Where emit_event / cursor_get / cursor_set go.  Installed by the command
 * that has a journal (the dispatcher); without hooks the three services
 * answer NBSOAR_ERROR "no journal in this command".  `instance` is the
 * calling instance's name; every pointer is borrowed for the call. */
struct host_event_hooks {
    void *arg;
    int (*emit_event)(void *arg, const char *instance, const json_t *event, char *err,
                      size_t errlen);
    int (*cursor_get)(void *arg, const char *instance, const char *key, char **value);
    int (*cursor_set)(void *arg, const char *instance, const char *key, const char *value);
};

struct host_env;

/* vault (may be NULL) is borrowed and must outlive the env.  OWNED by the
 * caller: host_env_free() after every instance stopped.  NULL on ENOMEM. */
struct host_env *host_env_new(const struct vault *vault, host_http_fn http);
/* Copies *hooks (NULL removes them).  Call before instances start. */
void host_env_set_event_hooks(struct host_env *env, const struct host_event_hooks *hooks);
/* Current value of one counter (0 when never added to). */
double host_env_counter(const struct host_env *env, const char *instance, const char *name);
/* Snapshot {"instance": {"name": value}}, OWNED by the caller. */
json_t *host_env_counters(const struct host_env *env);
void host_env_free(struct host_env *env);

struct plugin_instance {
    const struct loaded_plugin *plugin; /* borrowed from the plugin_set */
    char *name;                         /* OWNED: the section name */
    struct nbsoar_host host;            /* the services table; host.self == this */
    void *state;                        /* the plugin's, from init() */
    struct host_env *env;               /* borrowed */
    char *last_error;                   /* OWNED: last error-level line the instance logged */
};

/* Creates an instance and calls init(host, config, &state).  config is the
 * object built by config_map (borrowed).  On failure *out is NULL,
 * shutdown() has been called, and err says why, quoting the last error the
 * plugin logged.  Returns NBSOAR_OK or NBSOAR_ERROR. */
int plugin_instance_start(struct host_env *env, const struct loaded_plugin *plugin,
                          const char *name, const json_t *config, int check_mode,
                          struct plugin_instance **out, char *err, size_t errlen);
/* Calls shutdown() and frees.  NULL is fine. */
void plugin_instance_stop(struct plugin_instance *inst);

/* Role callbacks, NBSOAR_ERROR when the plugin lacks the role. */
int plugin_instance_poll(struct plugin_instance *inst);
int plugin_instance_run(struct plugin_instance *inst, const struct nbsoar_job *job,
                        struct nbsoar_run_result *res);
int plugin_instance_apply(struct plugin_instance *inst, const json_t *operation,
                          const struct nbsoar_job *job, json_t **result);
/* 1 when the sink lists `type` among its operations (or "*"). */
int plugin_accepts_operation(const struct loaded_plugin *plugin, const char *type);

#endif
