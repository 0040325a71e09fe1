/* The TheHive simulator (tests/sim/thehive_sim.py) as a child process, and
 * the thehive plugin configured for it, for the plugin's tests; see sim_proc.h. */
#ifndef NBSOAR_TEST_THEHIVE_SIM_PROC_H
#define NBSOAR_TEST_THEHIVE_SIM_PROC_H

#include <nbsoar/plugin.h>

#include "sim_proc.h"

#define SIM_KEY "sim-key-0123456789abcdef"

/* Starts the simulator with tests/sim/thehive_seed.json for TheHive
 * `api_version` (4 or 5); aborts the test on failure. */
void sim_start(struct sim *s, int api_version);

/* POST /__sim/fail {"mode": mode, "count": count, "match": match}; match
 * (may be NULL) limits it to requests whose "METHOD path" contains it. */
void sim_fail(const struct sim *s, const char *mode, int count, const char *match);

/* How many objects of `plural` ("tasks", "logs"...) in the state have
 * field == value (a string). */
int sim_count(const json_t *state, const char *plural, const char *field, const char *value);
/* The object of `plural` whose _id is id (borrowed from state), or NULL. */
json_t *sim_find(const json_t *state, const char *plural, const char *id);

/* Plugin instance configured for the simulator: api_version and the JSON
 * overrides (may be NULL) on top of url, api_key and organisation "soc". */
void *sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                      int api_version, const char *overrides);

#endif
