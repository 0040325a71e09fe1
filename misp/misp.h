/* The misp plugin's shared state: a source of MISP events (restSearch
 * polling with a timestamp cursor) and a sink for MISP operations. */
#ifndef NBSOAR_MISP_H
#define NBSOAR_MISP_H

#include <nbsoar/plugin.h>

#include "misp_client.h"

struct misp {
    const struct nbsoar_host *host;  /* borrowed, lives until shutdown */
    struct misp_client client;
    /* source filters (OWNED, NULL when unset) */
    json_t *tags;             /* array of tag names, sent as "tags" */
    json_t *orgs;             /* array of org names, sent as "org" and checked */
    json_t *threat_levels;    /* array of "1".."4", checked on each event */
    int published;            /* -1 both, 0, 1 */
    int page_limit;           /* events per restSearch page */
    long long lookback_s;     /* first poll: events edited this long ago */
    long long overlap_s;      /* re-read window below the cursor */
    int include_raw;          /* event.raw = the MISP event */
    char *source_name;        /* event.source */
};

/* misp_conf.c: config keys, and init()'s reading of them (vault:NAME
 * defaults resolved through the host). */
extern const struct nbsoar_config_key misp_config_keys[];
int misp_conf_load(struct misp *m, const json_t *config, char *err, size_t errlen);
void misp_conf_free(struct misp *m);

/* misp_flatten.c: the nbsoar event for one MISP event (the inner Event
 * object, borrowed).  OWNED; NULL with err when the event lacks uuid or
 * timestamp. */
json_t *misp_event_to_nbsoar(const json_t *mevent, const char *source, int include_raw,
                             char *err, size_t errlen);
/* The event's last-edit timestamp, -1 when absent or not a number. */
long long misp_event_timestamp(const json_t *mevent);

/* misp_poll.c */
int misp_poll(void *state);
/* Whether the event passes the configured org / threat-level filters. */
int misp_event_wanted(const struct misp *m, const json_t *mevent);

/* misp_ops.c: operation validation.  Returns the operation's index in
 * misp_operation_names, or -1 with err naming the field. */
enum misp_op {
    MISP_OP_ADD_TAG,
    MISP_OP_ADD_ATTRIBUTE,
    MISP_OP_ADD_SIGHTING,
    MISP_OP_PUBLISH,
    MISP_OP_ADD_EVENT_REPORT,
    MISP_OP_COUNT,
};
extern const char *const misp_operation_names[];
int misp_op_validate(const json_t *op, char *err, size_t errlen);
/* The MISP event an operation targets: op.event, else the job event's
 * ref.id (or ref.uuid) when the job's event came from MISP.  Borrowed;
 * NULL when none. */
const char *misp_op_event(const json_t *op, const struct nbsoar_job *job);
/* Whether s is a canonical 8-4-4-4-12 uuid. */
int misp_is_uuid(const char *s);

/* misp_apply.c */
int misp_apply(void *state, const json_t *operation, const struct nbsoar_job *job,
               json_t **result);

#endif
