/* One source, many purpose-built plugins: each VARIANT_* (set by
 * meson.build) breaks the plugin in one way the loader must refuse, or
 * gives a well-formed plugin for the end-to-end tests. */
#include <stdlib.h>
#include <string.h>

#include <nbsoar/plugin.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "good"
#endif

/* Counters the tests read back with dlsym() on the plugin's handle. */
NBSOAR_EXPORT int test_init_calls, test_shutdown_calls, test_last_check_mode;

static const struct nbsoar_config_key keys[] = {
    {"url", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED, "where to connect"},
    {"token", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET, "API token"},
    {"timeout", NBSOAR_KEY_DURATION_MS, "30s", 0, "request timeout"},
    {"verify", NBSOAR_KEY_BOOL, "true", 0, "verify TLS"},
    {NULL, 0, NULL, 0, NULL},
};

static int t_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    test_init_calls++;
    test_last_check_mode = host->check_mode;
    *state = &test_init_calls;
#ifdef VARIANT_INIT_CRASH
    abort();
#endif
#ifdef VARIANT_INIT_FAIL
    host->log(host, NBSOAR_LOG_ERROR, "cannot reach %s with token %s",
              json_string_value(json_object_get(config, "url")),
              json_string_value(json_object_get(config, "token")));
    return NBSOAR_ERROR;
#else
    (void)config;
    return NBSOAR_OK;
#endif
}

static int t_poll(void *state)
{
    (void)state;
    return NBSOAR_OK;
}

static void t_shutdown(void *state)
{
    (void)state;
    test_shutdown_calls++;
}

static struct nbsoar_plugin plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = PLUGIN_NAME,
    .version = "1.2.3",
    .description = "purpose-built test plugin",
    .config = keys,
    .init = t_init,
    .poll = t_poll,
    .shutdown = t_shutdown,
};

#ifdef VARIANT_NO_SYMBOL
NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry_typo(void)
#else
NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
#endif
{
#if defined(VARIANT_ABI_MAJOR)
    plugin.abi_major = NBSOAR_ABI_MAJOR + 1;
#elif defined(VARIANT_ABI_MINOR_NEWER)
    plugin.abi_minor = NBSOAR_ABI_MINOR + 1;
#elif defined(VARIANT_SMALL_STRUCT)
    plugin.struct_size = 16;
#elif defined(VARIANT_NULL_NAME)
    plugin.name = NULL;
#elif defined(VARIANT_NULL_ENTRY)
    return NULL;
#endif
    return &plugin;
}
