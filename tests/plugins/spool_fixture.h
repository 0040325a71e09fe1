/* Shared set-up of the spool tests: a fake host, the built spool.so, a
 * temporary folder, and a helper that (re)initialises the plugin. */
#ifndef NBSOAR_TEST_SPOOL_FIXTURE_H
#define NBSOAR_TEST_SPOOL_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_host.h"
#include "test_files.h"

static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static char *dir;
static void *state;

static void setup(void)
{
    fh = fake_host_new("spool-test");
    plugin = fake_host_load_plugin("spool", NULL);
    cr_assert_not_null(plugin);
    dir = test_tmpdir("nbsoar-spool");
    state = NULL;
}

static void teardown(void)
{
    fake_host_stop(&fh, plugin, &state);
    test_rmtree(dir);
    free(dir);
}

/* init with the plugin's defaults plus `extra` (JSON members, may be ""). */
static int start(const char *path, const char *extra)
{
    char over[8192];
    snprintf(over, sizeof(over), "{\"path\": \"%s\"%s%s}", path, extra[0] != '\0' ? ", " : "", extra);
    json_t *conf = fake_host_config(plugin, over);
    if (state != NULL)
        plugin->shutdown(state);
    state = NULL;
    int rc = plugin->init(&fh->host, conf, &state);
    json_decref(conf);
    return rc;
}

static size_t n_events(void)
{
    return json_array_size(fh->events);
}

static const char *event_str(size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(fh->events, i), key));
}

#endif
