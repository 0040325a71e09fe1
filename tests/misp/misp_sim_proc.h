/* The MISP simulator (tests/sim/misp_sim.py) as a child process, and a
 * fake host whose http service is the host's real HTTP client, for the
 * misp plugin's tests. */
#ifndef NBSOAR_TEST_MISP_SIM_PROC_H
#define NBSOAR_TEST_MISP_SIM_PROC_H

#include <sys/types.h>
#include <nbsoar/plugin.h>

#include "fake_host.h"

#define MISP_SIM_KEY "sim-misp-key-0123456789abcdef0123456789"

struct misp_sim {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT/ */
};

/* Starts the simulator with the fixture events plus `extra` synthetic
 * ones; aborts the test on failure. */
void misp_sim_start(struct misp_sim *s, int extra);
void misp_sim_stop(struct misp_sim *s);

/* A hook call: POST (body given) or GET on /__sim/<what>; reply OWNED. */
json_t *misp_sim_hook(const struct misp_sim *s, const char *what, const char *body_json);
/* GET /__sim/state (OWNED). */
json_t *misp_sim_state(const struct misp_sim *s);
/* POST /__sim/fault {"mode": mode, "count": count}. */
void misp_sim_fault(const struct misp_sim *s, const char *mode, int count);

/* The event (inner object, borrowed from state) with this id or uuid. */
json_t *misp_sim_event(const json_t *state, const char *id_or_uuid);
/* How many requests in the state's log match method and path prefix. */
int misp_sim_requests(const json_t *state, const char *method, const char *path_prefix);

/* A fake host whose http is the real client; backoff shortened. */
struct fake_host *misp_host_new(void);
/* The misp plugin built in this tree. */
const struct nbsoar_plugin *misp_plugin(void);
/* init() with url and key of the simulator plus JSON overrides (may be
 * NULL); returns init's code, *state set either way. */
int misp_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh,
                     const struct misp_sim *s, const char *overrides, void **state);

#endif
