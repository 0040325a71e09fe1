/*
 * misp: MISP as a source (new and updated events, polled from
 * events/restSearch with a timestamp cursor; see misp_poll.c) and as a sink
 * for the operations notebooks emit (MISPAddTag, MISPAddAttribute,
 * MISPAddSighting, MISPPublish, MISPAddEventReport; see misp_apply.c).
 * Requests are PyMISP's (misp_client.c).  init() checks the server with
 * GET /servers/getVersion, except in check mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "misp.h"

static int misp_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct misp *m = calloc(1, sizeof(*m));
    *state = m;
    if (m == NULL)
        return NBSOAR_ERROR;
    m->host = host;
    m->source_name = strdup(host->instance != NULL ? host->instance : "misp");
    char err[1024] = "";
    if (m->source_name == NULL || misp_conf_load(m, config, err, sizeof(err)) != NBSOAR_OK) {
        host->log(host, NBSOAR_LOG_ERROR, "config: %s", err[0] ? err : "out of memory");
        return NBSOAR_ERROR;
    }
    if (host->check_mode)
        return NBSOAR_OK;
    char *version = NULL;
    int rc = misp_get_version(&m->client, &version, err, sizeof(err));
    if (rc != NBSOAR_OK) {
        host->log(host, NBSOAR_LOG_ERROR, "health check failed: %s", err);
        return rc;
    }
    host->log(host, NBSOAR_LOG_INFO, "connected to MISP %s", version);
    free(version);
    return NBSOAR_OK;
}

static void misp_shutdown(void *state)
{
    struct misp *m = state;
    if (m == NULL)
        return;
    misp_conf_free(m);
    free(m);
}

static const struct nbsoar_plugin misp_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "misp",
    .version = "0.1.0",
    .description = "MISP events as triggers (restSearch polling) and MISP operations from notebooks",
    .config = misp_config_keys,
    .init = misp_init,
    .poll = misp_poll,
    .apply = misp_apply,
    .operations = misp_operation_names,
    .shutdown = misp_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &misp_plugin;
}
