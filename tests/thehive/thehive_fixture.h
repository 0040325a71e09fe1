/* Shared set-up of the thehive plugin tests (sink and source): the
 * simulator, a fake host with the real HTTP client, one plugin instance. */
#ifndef NBSOAR_TEST_THEHIVE_FIXTURE_H
#define NBSOAR_TEST_THEHIVE_FIXTURE_H

#include "thehive_sim_proc.h"

static struct sim sim;
static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;

static void start(int version, const char *overrides)
{
    sim_start(&sim, version);
    fh = sim_host_new("thehive-test");
    plugin = sim_plugin("thehive");
    state = sim_plugin_init(plugin, fh, &sim, version, overrides);
}

static void stop(void)
{
    fake_host_stop(&fh, plugin, &state);
    sim_stop(&sim);
}

#endif
