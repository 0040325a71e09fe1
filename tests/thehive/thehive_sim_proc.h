/* The TheHive simulator (tests/sim/thehive_sim.py) as a child process, and
 * a fake host whose http service is the real HTTP client, for the thehive
 * plugin's tests. */
#ifndef NBSOAR_TEST_THEHIVE_SIM_PROC_H
#define NBSOAR_TEST_THEHIVE_SIM_PROC_H

#include <sys/types.h>
#include <nbsoar/plugin.h>

#include "fake_host.h"

#define SIM_KEY "sim-key-0123456789abcdef"

struct sim {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT */
};

/* Starts the simulator with tests/sim/thehive_seed.json for TheHive
 * `api_version` (4 or 5); aborts the test on failure. */
void sim_start(struct sim *s, int api_version);
void sim_stop(struct sim *s);

/* GET /__sim/state (OWNED: json_decref()). */
json_t *sim_state(const struct sim *s);
/* POST /__sim/fail {"mode": mode, "count": count, "match": match}; match
 * (may be NULL) limits it to requests whose "METHOD path" contains it. */
void sim_fail(const struct sim *s, const char *mode, int count, const char *match);

/* How many objects of `plural` ("tasks", "logs"...) in the state have
 * field == value (a string). */
int sim_count(const json_t *state, const char *plural, const char *field, const char *value);
/* The object of `plural` whose _id is id (borrowed from state), or NULL. */
json_t *sim_find(const json_t *state, const char *plural, const char *id);

/* A fake host whose http and http_response_free are the host's HTTP
 * client; backoff shortened so retries take milliseconds. */
struct fake_host *sim_host_new(void);

/* The thehive plugin built in this tree. */
const struct nbsoar_plugin *sim_plugin(void);

/* Plugin instance configured for the simulator: api_version and the JSON
 * overrides (may be NULL) on top of url, api_key and organisation "soc". */
void *sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                      int api_version, const char *overrides);

#endif
