/*
 * A fake nbsoar host for plugin tests: a complete struct nbsoar_host whose
 * services record what the plugin did instead of doing it, plus a loader that
 * dlopens a built plugin the way the real host does.
 *
 * Typical use (Criterion):
 *
 *     struct fake_host *fh = fake_host_new("spool");
 *     const struct nbsoar_plugin *p = fake_host_load_plugin("spool", NULL);
 *     json_t *conf = fake_host_config(p, "{\"path\": \"/tmp/x\"}");
 *     void *state = NULL;
 *     cr_assert_eq(p->init(&fh->host, conf, &state), NBSOAR_OK, "%s", fake_host_log(fh));
 *     ... p->poll(state) ...  fh->events holds every emitted event ...
 *     p->shutdown(state);
 *     json_decref(conf);
 *     fake_host_free(fh);
 *
 * What each service does:
 *   log / logf    append "LEVEL instance: message [fields]\n" to a buffer
 *                 (redacted), read back with fake_host_log(); also echoed to
 *                 stderr when NBSOAR_FAKE_HOST_ECHO is set.
 *   secret_add    remembers the value (any length); redact masks it as ***.
 *   vault_get     looks the name up in fh->vault (an object you fill).
 *   http          always NBSOAR_ERROR, err = "no HTTP in fake host".
 *   emit_event    appends a deep copy to fh->events (an array); see
 *                 fake_host_fail_emit() to make it fail.
 *   cursor_get/set  kept in fh->cursors (an object of strings) for the life
 *                 of the fake host, so a plugin re-initialised on the same
 *                 fake host sees its old cursors.
 *   counter_add   sums into fh->counters (an object of reals).
 *   progress      does nothing.
 * Every service is thread-safe (one mutex).
 */
#ifndef NBSOAR_TEST_FAKE_HOST_H
#define NBSOAR_TEST_FAKE_HOST_H

#include <pthread.h>
#include <stddef.h>
#include <nbsoar/plugin.h>

struct fake_host {
    struct nbsoar_host host;  /* hand &fh->host to the plugin; first member */
    json_t *vault;            /* object, OWNED: fill it before init */
    json_t *events;           /* array of every event accepted by emit_event */
    json_t *cursors;          /* object: key -> string */
    json_t *counters;         /* object: name -> real */
    int emit_rc;              /* what emit_event returns while failing */
    int emit_failures;        /* emits left to fail; -1: fail forever */
    int emit_calls;           /* every emit_event call, failed or not */
    /* private */
    pthread_mutex_t lock;
    char *log;
    size_t log_len, log_cap;
    char **secrets;
    size_t n_secrets;
    char *instance;
};

/* A fake host for one plugin instance named `instance` (copied).
 * OWNED by the caller: fake_host_free(). Never NULL (aborts on ENOMEM). */
struct fake_host *fake_host_new(const char *instance);
void fake_host_free(struct fake_host *fh);
/* The teardown of a plugin test: shuts the instance down when *state is
 * set, frees *fh (may be NULL); clears both. */
void fake_host_stop(struct fake_host **fh, const struct nbsoar_plugin *p, void **state);

/* Everything logged so far (borrowed; valid until the next log call). */
const char *fake_host_log(struct fake_host *fh);
void fake_host_log_clear(struct fake_host *fh);

/* The next `times` emit_event calls return `rc` (NBSOAR_RETRY or
 * NBSOAR_ERROR) with err "fake host: emit refused"; times -1: until told
 * otherwise; times 0: succeed again. */
void fake_host_fail_emit(struct fake_host *fh, int rc, int times);

/* dlopens "$NBSOAR_BUILD_ROOT/plugins/<name>/<name>.so" (or `path` when
 * not NULL), resolves nbsoar_plugin_entry and checks the ABI major, minor
 * and struct size.  Returns NULL with a message on stderr on any failure.
 * The library is never closed (leak reports keep their symbols). */
const struct nbsoar_plugin *fake_host_load_plugin(const char *name, const char *path);

/* The config object the real host would hand init(): the plugin's declared
 * defaults, overlaid with `json_overrides` (a JSON object text, may be NULL).
 * INT and DURATION_MS defaults become integers, BOOL defaults true/false,
 * LIST defaults arrays of strings.  OWNED by the caller: json_decref(). */
json_t *fake_host_config(const struct nbsoar_plugin *plugin, const char *json_overrides);

#endif
