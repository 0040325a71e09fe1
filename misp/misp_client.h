/* A MISP REST client shaped after PyMISP (pymisp/api.py): the same paths,
 * bodies and headers, over the host's HTTP service.
 *
 * Every call returns NBSOAR_OK, NBSOAR_RETRY (connect error, timeout, 429,
 * 5xx: try later) or NBSOAR_ERROR (4xx, a reply that is not JSON or not
 * shaped like MISP's); err then holds a message quoting the method, path and
 * the server's name/message/errors.  A 401/403 "Authentication failed" says
 * the key was refused and never quotes the key.  Objects returned through
 * out-parameters are OWNED by the caller (json_decref). */
#ifndef NBSOAR_MISP_CLIENT_H
#define NBSOAR_MISP_CLIENT_H

#include <nbsoar/plugin.h>

struct misp_client {
    const struct nbsoar_host *host;          /* borrowed, lives until shutdown */
    char *base;                              /* OWNED: url without trailing '/' */
    char *auth_header;                       /* OWNED: "Authorization: <key>" */
    const char *headers[3];                  /* Accept, User-Agent, NULL */
    struct nbsoar_http_endpoint ep;
};

/* restSearch filters as PyMISP's search() names them on the wire; NULL /
 * negative members are not sent.  tags and eventid may be a string, an
 * array or a {"OR":..,"AND":..,"NOT":..} object (borrowed). */
struct misp_search {
    const json_t *tags;
    const char *type;       /* attribute type ("type" on the wire) */
    const char *value;
    long long timestamp;    /* last edit >= this epoch; <0: not sent */
    const char *last;       /* published within, "5d", "12h"... */
    int published;          /* -1: both, 0, 1 */
    const json_t *eventid;
    const json_t *org;
    const char *uuid;
    int metadata;           /* 1: events without attributes/objects */
    int include_event_tags; /* attributes: event tags merged in */
    int limit, page;        /* 0: not sent */
};

int misp_client_init(struct misp_client *c, const struct nbsoar_host *h, const char *url,
                     const char *key, int verify_tls, char *err, size_t errlen);
void misp_client_free(struct misp_client *c);

/* One request: body may be NULL; *out gets the decoded 2xx JSON (OWNED).
 * `idempotent` lets the host retry a POST that only reads (restSearch). */
int misp_call(struct misp_client *c, const char *method, const char *path, const json_t *body,
              int idempotent, json_t **out, char *err, size_t errlen);

/* GET /servers/getVersion: *version OWNED (free()). */
int misp_get_version(struct misp_client *c, char **version, char *err, size_t errlen);
/* GET /events/view/{id or uuid}: *event is the inner Event object. */
int misp_get_event(struct misp_client *c, const char *id, json_t **event, char *err, size_t errlen);
/* The JSON body PyMISP's search() posts for q (OWNED). */
json_t *misp_search_body(const struct misp_search *q);
/* POST /events/restSearch: *events is the array of {"Event":{...}}. */
int misp_search_events(struct misp_client *c, const struct misp_search *q, json_t **events,
                       char *err, size_t errlen);
/* POST /attributes/restSearch: *attributes is the array under response.Attribute. */
int misp_search_attributes(struct misp_client *c, const struct misp_search *q,
                           json_t **attributes, char *err, size_t errlen);
/* POST /events/add: *created is the inner Event. */
int misp_add_event(struct misp_client *c, const json_t *event, json_t **created, char *err,
                   size_t errlen);
/* POST /attributes/add/{event}: *created is the inner Attribute. */
int misp_add_attribute(struct misp_client *c, const char *event, const json_t *attribute,
                       json_t **created, char *err, size_t errlen);
/* POST /tags/attachTagToObject {uuid, tag, local}. */
int misp_attach_tag(struct misp_client *c, const char *uuid, const char *tag, int local,
                    json_t **result, char *err, size_t errlen);
/* POST /sightings/add: *result is the inner Sighting. */
int misp_add_sighting(struct misp_client *c, const json_t *sighting, json_t **result, char *err,
                      size_t errlen);
/* POST /events/publish/{id}. */
int misp_publish(struct misp_client *c, const char *event, json_t **result, char *err,
                 size_t errlen);
/* POST /eventReports/add/{event}: *created is the inner EventReport. */
int misp_add_event_report(struct misp_client *c, const char *event, const json_t *report,
                          json_t **created, char *err, size_t errlen);

#endif
