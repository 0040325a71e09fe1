/* The Splunk simulator (tests/sim/splunk_sim.py) and the splunk plugin
 * configured for it, for the plugin's tests; see sim_proc.h. */
#ifndef NBSOAR_TEST_SPLUNK_SIM_PROC_H
#define NBSOAR_TEST_SPLUNK_SIM_PROC_H

#include <nbsoar/plugin.h>

#include "sim_proc.h"

#define SPLUNK_SIM "tests/sim/splunk_sim.py"
#define SIM_TOKEN "sim-token-0123456789abcdef"
#define SIM_USER "nbsoar"
#define SIM_PASSWORD "sim-password-42"

/* Plugin instance configured for the simulator: url and token (unless the
 * overrides name username or token), then the JSON overrides (may be NULL).
 * Returns the init return code; *state set whatever it is. */
int sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                    const char *overrides, void **state);

#endif
