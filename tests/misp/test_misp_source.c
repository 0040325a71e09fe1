/* The misp source against the simulator: paging, events changing between
 * polls and between pages, emit failures, filters, flattening, and
 * malformed or missing replies. */
#include <criterion/criterion.h>
#include <string.h>

#include "misp_sim_proc.h"

#define ALL "\"lookback\": 2000000000000"

static struct misp_sim sim;
static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;

static void start(int extra, const char *overrides)
{
    misp_sim_start(&sim, extra);
    fh = misp_host_new();
    plugin = misp_plugin();
    char conf[512];
    snprintf(conf, sizeof(conf), "{" ALL "%s%s}", overrides ? ", " : "", overrides ? overrides : "");
    cr_assert_eq(misp_plugin_init(plugin, fh, &sim, conf, &state), NBSOAR_OK, "%s", fake_host_log(fh));
}

static void stop(void)
{
    if (plugin != NULL)
        plugin->shutdown(state);
    if (fh != NULL)
        fake_host_free(fh);
    misp_sim_stop(&sim);
}

/* Every emitted event id is distinct. */
static void assert_no_duplicates(void)
{
    json_t *ids = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev) {
        const char *id = json_string_value(json_object_get(ev, "id"));
        cr_assert_null(json_object_get(ids, id), "event %s emitted twice", id);
        json_object_set_new(ids, id, json_true());
    }
    json_decref(ids);
}

/* The uuids emitted so far, as a set, and the newest emitted version per uuid. */
static json_t *emitted_uuids(void)
{
    json_t *set = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev) {
        json_t *ref = json_object_get(ev, "ref");
        json_object_set(set, json_string_value(json_object_get(ref, "uuid")), json_object_get(ev, "id"));
    }
    return set;
}

static void assert_all_events_emitted(const json_t *st)
{
    json_t *got = emitted_uuids();
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(st, "events"), i, ev) {
        const char *uuid = json_string_value(json_object_get(ev, "uuid"));
        const char *id = json_string_value(json_object_get(got, uuid));
        cr_assert_not_null(id, "event %s (%s) was never emitted", uuid,
                           json_string_value(json_object_get(ev, "info")));
        char want[128];
        snprintf(want, sizeof(want), "misp:%s:%s", uuid, json_string_value(json_object_get(ev, "timestamp")));
        cr_assert_str_eq(id, want, "the newest version of %s was not emitted", uuid);
    }
    json_decref(got);
}

TestSuite(misp_source, .fini = stop, .timeout = 60);

Test(misp_source, first_poll_pages_through_every_event_and_second_poll_emits_nothing)
{
    start(60, "\"page_limit\": 7");
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *st = misp_sim_state(&sim);
    cr_assert_eq(json_array_size(fh->events), json_array_size(json_object_get(st, "events")));
    assert_all_events_emitted(st);
    assert_no_duplicates();
    /* 67 events in pages of 7: 10 pages, then the metadata reconciliation. */
    cr_assert_geq(misp_sim_requests(st, "POST", "/events/restSearch"), 11);
    json_decref(st);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 67, "a second poll emitted again");
}

Test(misp_source, events_changed_or_added_between_polls_are_emitted_once)
{
    start(20, "\"page_limit\": 5");
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    size_t first = json_array_size(fh->events);
    json_decref(misp_sim_hook(&sim, "touch", "{\"uuid\": \"5758ebf5-c898-48e6-9fe9-5665c0a83866\", \"timestamp\": 1800000000}"));
    json_decref(misp_sim_hook(&sim, "touch", "{\"uuid\": \"5a3c2fcd-8328-42bb-a95e-4f4402de0b81\", \"timestamp\": 1800000000}"));
    json_decref(misp_sim_hook(&sim, "add", "{\"Event\": {\"info\": \"new\", \"timestamp\": \"1800000001\"}}"));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), first + 3);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(fh->events, first), "id")),
                     "misp:5758ebf5-c898-48e6-9fe9-5665c0a83866:1800000000");
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(json_array_size(fh->events), first + 3, "the same versions were emitted again");
    /* A second edit within the overlap window is a new version. */
    json_decref(misp_sim_hook(&sim, "touch", "{\"uuid\": \"5758ebf5-c898-48e6-9fe9-5665c0a83866\", \"timestamp\": 1800000001}"));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(json_array_size(fh->events), first + 4);
    assert_no_duplicates();
}

Test(misp_source, events_changing_between_pages_are_neither_missed_nor_doubled)
{
    start(30, "\"page_limit\": 4");
    /* Page 1 holds the oldest events; the first one is edited once page 1
     * is served, so it moves to the end and every later event shifts left
     * across the page boundary.  A deletion after page 3 shifts them again,
     * and an event added after page 2 lands behind the cursor's pages. */
    json_decref(misp_sim_hook(&sim, "touch", "{\"uuid\": \"5758ebf5-c898-48e6-9fe9-5665c0a83866\", \"after_page\": 1}"));
    json_decref(misp_sim_hook(&sim, "delete", "{\"id\": \"9750\", \"after_page\": 3}"));
    json_decref(misp_sim_hook(&sim, "add", "{\"Event\": {\"info\": \"late\"}, \"after_page\": 2}"));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *st = misp_sim_state(&sim);
    assert_all_events_emitted(st);
    assert_no_duplicates();
    json_decref(st);
    cr_assert(strstr(fake_host_log(fh), "changed while paging") != NULL, "%s", fake_host_log(fh));
    size_t n = json_array_size(fh->events);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(json_array_size(fh->events), n, "a later poll emitted again");
}

/* emit_event that refuses its Nth call (counted from 1), once. */
static int (*real_emit)(const struct nbsoar_host *, const json_t *, char *, size_t);
static int emit_calls, fail_on_call;

static int emit_failing_once(const struct nbsoar_host *h, const json_t *ev, char *err, size_t errlen)
{
    if (++emit_calls == fail_on_call) {
        snprintf(err, errlen, "journal full");
        return NBSOAR_RETRY;
    }
    return real_emit(h, ev, err, errlen);
}

Test(misp_source, an_emit_failure_stops_the_poll_and_the_next_poll_resumes_without_duplicates)
{
    start(20, "\"page_limit\": 6");
    real_emit = fh->host.emit_event;
    fh->host.emit_event = emit_failing_once;
    fail_on_call = 10;
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    cr_assert_eq(json_array_size(fh->events), 9);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 27);
    /* Again in the middle of edited events. */
    for (int i = 0; i < 4; i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"id\": \"%d\", \"timestamp\": %d}", 9752 + i, 1800000000 + i % 2);
        json_decref(misp_sim_hook(&sim, "touch", body));
    }
    fail_on_call = emit_calls + 2;
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    cr_assert_eq(json_array_size(fh->events), 28);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 31);
    assert_no_duplicates();
    json_t *st = misp_sim_state(&sim);
    assert_all_events_emitted(st);
    json_decref(st);
}

Test(misp_source, filters_on_tags_published_org_and_threat_level)
{
    start(40, "\"tags\": [\"tlp:amber\"], \"published\": \"true\", \"orgs\": [\"SIM-ORG-0\"], "
              "\"threat_levels\": [\"1\", \"3\"]");
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    /* synthetic i: amber when i%3==0, published when i even, SIM-ORG-0 when
     * i even, threat 1+i%4 in {1,3} when i even: i in 0,6,12,...,36. */
    cr_assert_eq(json_array_size(fh->events), 7);
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev) {
        json_t *fields = json_object_get(ev, "fields");
        cr_assert(json_is_true(json_object_get(fields, "published")));
        cr_assert_str_eq(json_string_value(json_object_get(fields, "org")), "SIM-ORG-0");
    }
    json_t *st = misp_sim_state(&sim);
    json_t *r = json_array_get(json_object_get(st, "requests"), 1);
    json_t *body = json_object_get(r, "body");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(body, "tags"), 0)), "tlp:amber");
    cr_assert(json_is_true(json_object_get(body, "published")));
    cr_assert_str_eq(json_string_value(json_object_get(body, "returnFormat")), "json");
    cr_assert_eq(json_integer_value(json_object_get(body, "page")), 1);
    cr_assert_eq(json_integer_value(json_object_get(body, "limit")), 100);
    json_decref(st);
}

Test(misp_source, events_carry_the_ref_and_flattened_attributes)
{
    start(0, NULL);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *ev = NULL, *e;
    size_t i;
    json_array_foreach(fh->events, i, e)
        if (!strcmp(json_string_value(json_object_get(json_object_get(e, "ref"), "id")), "9747"))
            ev = e;
    cr_assert_not_null(ev);
    json_t *ref = json_object_get(ev, "ref"), *fields = json_object_get(ev, "fields");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "system")), "misp");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "kind")), "event");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "uuid")), "5a3c2fcd-8328-42bb-a95e-4f4402de0b81");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "id")), "misp:5a3c2fcd-8328-42bb-a95e-4f4402de0b81:1513948642");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "time")), "2017-12-22T13:17:22Z");
    cr_assert_str_eq(json_string_value(json_object_get(fields, "org")), "CIRCL");
    cr_assert_str_eq(json_string_value(json_object_get(fields, "threat_level_id")), "3");
    cr_assert_eq(json_array_size(json_object_get(fields, "tags")), 18);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(fields, "domain"), 0)), "movieultimate.com");
    /* 9 attributes plus the attributes of the 49 objects. */
    json_t *attrs = json_object_get(fields, "attributes");
    cr_assert_gt(json_array_size(attrs), 9);
    int in_object = 0;
    json_array_foreach(attrs, i, e)
        in_object += json_object_get(e, "object") != NULL;
    cr_assert_gt(in_object, 0);
    cr_assert_not_null(json_object_get(fields, "sha1"), "object attributes have their per-type list");
    cr_assert_not_null(json_object_get(json_object_get(ev, "raw"), "Event"));
}

Test(misp_source, malformed_replies_are_errors_and_leave_the_cursor_alone)
{
    start(5, NULL);
    misp_sim_fault(&sim, "notjson", -1);
    cr_assert_eq(plugin->poll(state), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "not JSON") != NULL, "%s", fake_host_log(fh));
    misp_sim_fault(&sim, "wrongshape", -1);
    cr_assert_eq(plugin->poll(state), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "unexpected shape") != NULL, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 0);
    cr_assert_null(json_object_get(fh->cursors, "events"));
    misp_sim_fault(&sim, "none", 0);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 12);
}

Test(misp_source, misp_down_is_retry_then_the_poll_resumes)
{
    start(5, NULL);
    misp_sim_fault(&sim, "down", -1);
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    misp_sim_fault(&sim, "500", -1);
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    cr_assert(strstr(fake_host_log(fh), "HTTP 500") != NULL, "%s", fake_host_log(fh));
    misp_sim_fault(&sim, "none", 0);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 12);
}
