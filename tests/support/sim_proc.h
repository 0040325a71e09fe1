/* A simulator of tests/sim (splunk_sim.py, thehive_sim.py...) as a child
 * process, its /__sim/ test hooks, and a fake host whose http service is
 * the host's real HTTP client, for the tests of the plugins that talk to
 * those services.  Failures abort the test (Criterion asserts). */
#ifndef NBSOAR_TEST_SIM_PROC_H
#define NBSOAR_TEST_SIM_PROC_H

#include <sys/types.h>
#include <nbsoar/plugin.h>

#include "fake_host.h"

struct sim {
    pid_t pid;
    int port;
    char url[64];      /* http://127.0.0.1:PORT, or https:// */
    char tls_dir[64];  /* cert.pem and key.pem when serving HTTPS, else "" */
};

/* Starts $NBSOAR_SOURCE_ROOT/<script> ("tests/sim/splunk_sim.py") with
 * --port 0 and the extra arguments (NULL-terminated list, may be NULL). */
void sim_proc_start(struct sim *s, const char *script, const char *const *args);
/* The same over HTTPS (--cert, --key added) with a new self-signed
 * certificate for IP 127.0.0.1 in s->tls_dir (removed by sim_stop). */
void sim_proc_start_tls(struct sim *s, const char *script, const char *cn,
                        const char *const *args);
void sim_stop(struct sim *s);

/* GET /__sim/state (OWNED: json_decref()). */
json_t *sim_state(const struct sim *s);
/* POST /__sim/<hook> with a JSON body text (may be NULL: {}); returns the
 * answer (OWNED). */
json_t *sim_hook(const struct sim *s, const char *hook, const char *body_json);

/* A fake host named name whose http and http_response_free are the host's
 * HTTP client; backoff shortened so retries take milliseconds. */
struct fake_host *sim_host_new(const char *name);

/* The plugin <name>/<name>.so built in this tree. */
const struct nbsoar_plugin *sim_plugin(const char *name);

#endif
