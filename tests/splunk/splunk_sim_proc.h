/* The Splunk simulator (tests/sim/splunk_sim.py) as a child process, and a
 * fake host whose http service is the real HTTP client, for the splunk
 * plugin's tests. */
#ifndef NBSOAR_TEST_SPLUNK_SIM_PROC_H
#define NBSOAR_TEST_SPLUNK_SIM_PROC_H

#include <sys/types.h>
#include <nbsoar/plugin.h>

#include "fake_host.h"

#define SIM_TOKEN "sim-token-0123456789abcdef"
#define SIM_USER "nbsoar"
#define SIM_PASSWORD "sim-password-42"

struct sim {
    pid_t pid;
    int port;
    char url[64];      /* http://127.0.0.1:PORT, or https:// */
    char tls_dir[64];  /* cert.pem and key.pem when serving HTTPS, else "" */
};

/* Starts the simulator with extra command-line arguments (NULL-terminated
 * list, may be NULL); aborts the test on failure. */
void sim_start(struct sim *s, const char *const *extra_args);
/* The same over HTTPS, with a new self-signed certificate for IP 127.0.0.1
 * in s->tls_dir (removed by sim_stop). */
void sim_start_tls(struct sim *s);
void sim_stop(struct sim *s);

/* GET /__sim/state (OWNED: json_decref()). */
json_t *sim_state(const struct sim *s);
/* POST /__sim/<hook> with a JSON body text (may be NULL); returns the
 * answer (OWNED). */
json_t *sim_hook(const struct sim *s, const char *hook, const char *body_json);

/* A fake host whose http and http_response_free are the host's HTTP
 * client; backoff shortened so retries take milliseconds. */
struct fake_host *sim_host_new(void);

/* The splunk plugin built in this tree. */
const struct nbsoar_plugin *sim_plugin(void);

/* Plugin instance configured for the simulator: url and token (unless the
 * overrides name username or token), then the JSON overrides (may be NULL).
 * Returns the init return code; *state set whatever it is. */
int sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                    const char *overrides, void **state);

#endif
