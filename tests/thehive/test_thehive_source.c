/* The thehive plugin as a source: alerts (and cases) polled from the
 * TheHive simulator with POST /api/v1/query, cursors kept by the fake
 * host, across several pages and with updates between polls. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_client.h"
#include "thehive_fixture.h"

/* One API call as the simulator's user, like an analyst's change. */
static json_t *api(const char *method, const char *path, json_t *body)
{
    char url[256], err[512];
    snprintf(url, sizeof url, "%s%s", sim.url, path);
    const char *headers[] = {"X-Organisation: soc", NULL};
    struct nbsoar_http_endpoint ep = {.auth_header = "Authorization: Bearer " SIM_KEY, .max_retries = -1,
                                      .headers = headers};
    struct nbsoar_http_request req = {.method = method, .url = url, .json = body, .idempotent = 1};
    struct nbsoar_http_response resp;
    int rc = http_request(&ep, &req, &resp, err, sizeof err);
    cr_assert_eq(rc, NBSOAR_OK, "%s %s: %s", method, path, err);
    cr_assert(resp.status >= 200 && resp.status < 300, "%s %s: HTTP %ld %s", method, path, resp.status,
              resp.body ? resp.body : "");
    json_t *out = resp.json;
    resp.json = NULL;
    http_response_free(&resp);
    json_decref(body);
    return out;
}

static char *create_alert(int n)
{
    char ref[32], title[64];
    snprintf(ref, sizeof ref, "ref-%d", n);
    snprintf(title, sizeof title, "alert %d", n);
    json_t *a = api("POST", "/api/v1/alert",
                    json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:[s]}", "type", "test", "source", "sim-test",
                              "sourceRef", ref, "title", title, "description", "made by the test", "severity", 3,
                              "tags", "new"));
    char *id = strdup(json_string_value(json_object_get(a, "_id")));
    json_decref(a);
    return id;
}

static void update_alert(const char *id, const char *title)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alert/%s", id);
    json_decref(api("PATCH", path, json_pack("{s:s}", "title", title)));
}

/* Polls once; returns how many events it added. */
static size_t poll_once(int want_rc)
{
    size_t before = json_array_size(fh->events);
    int rc = plugin->poll(state);
    cr_assert_eq(rc, want_rc, "poll returned %d: %s", rc, fake_host_log(fh));
    return json_array_size(fh->events) - before;
}

/* No event id twice in everything emitted. */
static void expect_unique_ids(void)
{
    size_t n = json_array_size(fh->events);
    for (size_t i = 0; i < n; i++) {
        const char *a = json_string_value(json_object_get(json_array_get(fh->events, i), "id"));
        for (size_t j = i + 1; j < n; j++) {
            const char *b = json_string_value(json_object_get(json_array_get(fh->events, j), "id"));
            cr_assert_str_neq(a, b, "event %s emitted twice", a);
        }
    }
}

static int count_ref(const char *kind, const char *id)
{
    int n = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev) {
        json_t *ref = json_object_get(ev, "ref");
        if (strcmp(json_string_value(json_object_get(ref, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(ref, "id")), id) == 0)
            n++;
    }
    return n;
}

static json_t *last_event(void)
{
    return json_array_get(fh->events, json_array_size(fh->events) - 1);
}

Test(source, first_poll_emits_the_seeded_alert_with_its_fields_and_observables, .fini = stop)
{
    start(5, NULL);
    cr_assert_eq(poll_once(NBSOAR_OK), 1);
    json_t *ev = last_event();
    json_t *ref = json_object_get(ev, "ref");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "system")), "thehive");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "kind")), "alert");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "id")), "~2001");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "title")), "Suspicious login");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "type")), "alert");
    json_t *fields = json_object_get(ev, "fields");
    cr_assert_eq(json_integer_value(json_object_get(fields, "severity")), 2);
    cr_assert_eq(json_integer_value(json_object_get(fields, "tlp")), 2);
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(fields, "tags"), 0)), "seed");
    json_t *obs = json_object_get(fields, "observables");
    cr_assert_eq(json_array_size(obs), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(obs, 0), "data")), "192.0.2.7");
    cr_assert(json_is_object(json_object_get(fields, "customFields")));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "raw"), "_id")), "~2001");
    cr_assert_not_null(json_object_get(fh->cursors, "alert.created"), "cursor kept by the host");
    cr_assert_eq(poll_once(NBSOAR_OK), 0, "the same version is not emitted again");
}

Test(source, several_pages_are_read_without_a_miss_or_a_repeat, .fini = stop)
{
    start(5, "{\"page_size\": 2, \"fetch_observables\": false}");
    char *ids[9];
    for (int i = 0; i < 9; i++)
        ids[i] = create_alert(i);
    cr_assert_eq(poll_once(NBSOAR_OK), 10, "9 new alerts and the seeded one");
    for (int i = 0; i < 9; i++) {
        cr_assert_eq(count_ref("alert", ids[i]), 1, "%s", ids[i]);
        free(ids[i]);
    }
    expect_unique_ids();
    cr_assert_eq(poll_once(NBSOAR_OK), 0);
}

Test(source, updates_between_polls_are_new_events_and_each_version_comes_once, .fini = stop)
{
    start(4, "{\"page_size\": 3}");
    char *a = create_alert(1), *b = create_alert(2), *c = create_alert(3);
    cr_assert_eq(poll_once(NBSOAR_OK), 4);

    update_alert(b, "b changed");
    cr_assert_eq(poll_once(NBSOAR_OK), 1, "only the updated alert");
    cr_assert_str_eq(json_string_value(json_object_get(last_event(), "title")), "b changed");
    cr_assert(json_is_true(json_object_get(json_object_get(last_event(), "fields"), "updated")));
    cr_assert_eq(count_ref("alert", b), 2);

    /* changed twice before a poll: only the version TheHive holds now */
    update_alert(a, "a once");
    struct timespec ms = {0, 3 * 1000 * 1000};
    nanosleep(&ms, NULL);
    update_alert(a, "a twice");
    char *d = create_alert(4);
    update_alert(c, "c changed");
    cr_assert_eq(poll_once(NBSOAR_OK), 3, "a, c and the new d");
    cr_assert_eq(count_ref("alert", a), 2);
    cr_assert_eq(count_ref("alert", c), 2);
    cr_assert_eq(count_ref("alert", d), 1);
    cr_assert_eq(poll_once(NBSOAR_OK), 0);
    expect_unique_ids();
    free(a);
    free(b);
    free(c);
    free(d);
}

Test(source, a_refused_event_is_offered_again_at_the_next_poll, .fini = stop)
{
    start(5, "{\"page_size\": 2}");
    cr_assert_eq(poll_once(NBSOAR_OK), 1);
    char *a = create_alert(1), *b = create_alert(2), *c = create_alert(3);
    fake_host_fail_emit(fh, NBSOAR_RETRY, 1);
    cr_assert_eq(poll_once(NBSOAR_RETRY), 0, "the journal refused the first event");
    cr_assert_eq(poll_once(NBSOAR_OK), 3, "none lost");
    cr_assert_eq(count_ref("alert", a) + count_ref("alert", b) + count_ref("alert", c), 3);
    expect_unique_ids();
    free(a);
    free(b);
    free(c);
}

Test(source, theHive_down_is_a_retry_and_loses_nothing, .fini = stop)
{
    start(5, "{\"retries\": -1}");
    char *a = create_alert(1);
    sim_fail(&sim, "503", 1, "POST /api/v1/query");
    cr_assert_eq(poll_once(NBSOAR_RETRY), 0);
    cr_assert_eq(poll_once(NBSOAR_OK), 2);
    cr_assert_eq(count_ref("alert", a), 1);
    free(a);
}

Test(source, poll_cases_adds_cases_with_their_own_cursor, .fini = stop)
{
    start(5, "{\"poll_cases\": true}");
    cr_assert_eq(poll_once(NBSOAR_OK), 2, "the seeded alert and the soc organisation's case");
    cr_assert_eq(count_ref("case", "~1001"), 1);
    cr_assert_eq(count_ref("case", "~1002"), 0, "another organisation's case is not visible");
    json_decref(api("PATCH", "/api/v1/case/~1001", json_pack("{s:s}", "title", "renamed")));
    cr_assert_eq(poll_once(NBSOAR_OK), 1);
    cr_assert_eq(count_ref("case", "~1001"), 2);
    cr_assert_not_null(json_object_get(fh->cursors, "case.updated"));
}

Test(source, a_restarted_instance_continues_from_the_host_cursor, .fini = stop)
{
    start(5, NULL);
    cr_assert_eq(poll_once(NBSOAR_OK), 1);
    plugin->shutdown(state);
    state = sim_plugin_init(plugin, fh, &sim, 5, NULL);
    char *a = create_alert(1);
    cr_assert_eq(poll_once(NBSOAR_OK), 1, "only what is new since the cursor");
    cr_assert_eq(count_ref("alert", a), 1);
    free(a);
}
