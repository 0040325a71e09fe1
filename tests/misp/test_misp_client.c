/* The MISP client alone (misp/misp_client.c) against the simulator:
 * each PyMISP call, the bodies it posts, and its error handling. */
#include <criterion/criterion.h>
#include <string.h>

#include "misp_client.h"
#include "misp_sim_proc.h"

static struct misp_sim sim;
static struct fake_host *fh;
static struct misp_client c;
static char err[1024];

static void start(void)
{
    misp_sim_start(&sim, 12);
    fh = misp_host_new();
    cr_assert_eq(misp_client_init(&c, &fh->host, sim.url, "  " MISP_SIM_KEY "\n", 1, err, sizeof(err)),
                 NBSOAR_OK, "%s", err);
}

static void stop(void)
{
    misp_client_free(&c);
    fake_host_free(fh);
    misp_sim_stop(&sim);
}

/* The body of the newest request in the simulator's log (OWNED). */
static json_t *last_body(void)
{
    json_t *st = misp_sim_state(&sim);
    json_t *reqs = json_object_get(st, "requests");
    json_t *b = json_incref(json_object_get(json_array_get(reqs, json_array_size(reqs) - 1), "body"));
    json_decref(st);
    return b;
}

TestSuite(misp_client, .init = start, .fini = stop, .timeout = 60);

Test(misp_client, get_version_and_get_event_by_id_and_uuid)
{
    char *version;
    cr_assert_eq(misp_get_version(&c, &version, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_str_eq(version, "2.5.1");
    free(version);
    json_t *ev;
    cr_assert_eq(misp_get_event(&c, "9747", &ev, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "uuid")), "5a3c2fcd-8328-42bb-a95e-4f4402de0b81");
    json_decref(ev);
    cr_assert_eq(misp_get_event(&c, "5a3c2fcd-8328-42bb-a95e-4f4402de0b81", &ev, err, sizeof(err)), NBSOAR_OK);
    json_decref(ev);
    cr_assert_eq(misp_get_event(&c, "../servers", &ev, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "is not an id or uuid") != NULL, "%s", err);
}

Test(misp_client, events_rest_search_pages_with_pymisps_body)
{
    json_t *tags = json_pack("[s]", "tlp:amber");
    struct misp_search q = {.timestamp = 1600000000, .published = -1, .tags = tags, .limit = 2, .page = 2};
    json_t *events;
    cr_assert_eq(misp_search_events(&c, &q, &events, err, sizeof(err)), NBSOAR_OK, "%s", err);
    /* synthetic events 0, 3, 6, 9 are tlp:amber: page 2 of 2 holds 6 and 9 */
    cr_assert_eq(json_array_size(events), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(events, 0), "Event"), "info")),
                     "synthetic event 6");
    json_decref(events);
    json_t *b = last_body();
    cr_assert_str_eq(json_string_value(json_object_get(b, "returnFormat")), "json");
    cr_assert_eq(json_integer_value(json_object_get(b, "limit")), 2);
    cr_assert_eq(json_integer_value(json_object_get(b, "page")), 2);
    cr_assert_eq(json_integer_value(json_object_get(b, "timestamp")), 1600000000);
    cr_assert_eq(json_integer_value(json_object_get(b, "withAttachments")), 0);
    cr_assert_eq(json_integer_value(json_object_get(b, "includeEventTags")), 0);
    cr_assert_null(json_object_get(b, "published"), "published sent although unset");
    json_decref(b);
    json_decref(tags);
}

Test(misp_client, attributes_rest_search_by_type_and_value)
{
    struct misp_search q = {.timestamp = -1, .published = -1, .type = "domain",
                            .value = "movieultimate.com", .include_event_tags = 1};
    json_t *attrs;
    cr_assert_eq(misp_search_attributes(&c, &q, &attrs, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert_eq(json_array_size(attrs), 1);
    json_t *a = json_array_get(attrs, 0);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(a, "Event"), "id")), "9747");
    cr_assert_gt(json_array_size(json_object_get(a, "Tag")), 0, "event tags were not merged in");
    json_decref(attrs);
    json_t *b = last_body();
    cr_assert_str_eq(json_string_value(json_object_get(b, "type")), "domain");
    cr_assert_str_eq(json_string_value(json_object_get(b, "value")), "movieultimate.com");
    json_decref(b);
}

Test(misp_client, add_event_then_attribute_tag_report_publish)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:b}]}", "info", "from the client test",
                             "distribution", "0", "threat_level_id", "2", "Attribute", "type", "domain",
                             "value", "client.example", "to_ids", 1);
    json_t *ev, *r;
    cr_assert_eq(misp_add_event(&c, body, &ev, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_decref(body);
    const char *id = json_string_value(json_object_get(ev, "id"));
    const char *uuid = json_string_value(json_object_get(ev, "uuid"));
    cr_assert_not_null(id);
    json_t *attr = json_pack("{s:s, s:s}", "type", "ip-dst", "value", "192.0.2.1");
    cr_assert_eq(misp_add_attribute(&c, id, attr, &r, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_decref(r);
    cr_assert_eq(misp_add_attribute(&c, id, attr, &r, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "HTTP 403") && strstr(err, "A similar attribute already exists"), "%s", err);
    json_decref(attr);
    cr_assert_eq(misp_attach_tag(&c, uuid, "tlp:green", 0, &r, err, sizeof(err)), NBSOAR_OK, "%s", err);
    cr_assert(json_is_true(json_object_get(r, "saved")));
    json_decref(r);
    json_t *rep = json_pack("{s:s, s:s}", "name", "n", "content", "c");
    cr_assert_eq(misp_add_event_report(&c, id, rep, &r, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_decref(r);
    json_decref(rep);
    cr_assert_eq(misp_publish(&c, id, &r, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_decref(r);
    json_t *s = json_pack("{s:s, s:s}", "value", "192.0.2.1", "type", "0");
    cr_assert_eq(misp_add_sighting(&c, s, &r, err, sizeof(err)), NBSOAR_OK, "%s", err);
    json_decref(r);
    json_decref(s);
    json_t *st = misp_sim_state(&sim);
    json_t *e = misp_sim_event(st, id);
    cr_assert(json_is_true(json_object_get(e, "published")));
    cr_assert_eq(json_array_size(json_object_get(e, "Attribute")), 2);
    cr_assert_eq(json_array_size(json_object_get(e, "EventReport")), 1);
    cr_assert_eq(json_array_size(json_object_get(st, "sightings")), 1);
    json_decref(st);
    json_decref(ev);
}

Test(misp_client, a_bad_key_is_refused_without_quoting_it)
{
    struct misp_client bad;
    cr_assert_eq(misp_client_init(&bad, &fh->host, sim.url, "not-the-key-987654", 1, err, sizeof(err)), NBSOAR_OK);
    char *version;
    cr_assert_eq(misp_get_version(&bad, &version, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "MISP refused the API key (HTTP 403") != NULL, "%s", err);
    cr_assert(strstr(err, "not-the-key-987654") == NULL, "%s", err);
    misp_client_free(&bad);
}

Test(misp_client, refuses_bad_urls_and_keys_before_any_request)
{
    struct misp_client bad;
    cr_assert_eq(misp_client_init(&bad, &fh->host, "ftp://misp", "k", 1, err, sizeof(err)), NBSOAR_ERROR);
    misp_client_free(&bad);
    cr_assert_eq(misp_client_init(&bad, &fh->host, sim.url, "a\nInjected: 1", 1, err, sizeof(err)), NBSOAR_ERROR);
    cr_assert(strstr(err, "line break") != NULL);
    misp_client_free(&bad);
}
