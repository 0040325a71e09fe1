/* The splunk plugin as a source, loaded like the host loads it, reading
 * notables from the Splunk simulator through the host's real HTTP client:
 * a window of 1,000, late events under the lookback, a search error, auth
 * failures, session login and re-login, a stream cut in the middle, a slow
 * stream, a refused event, and the correlation search cache. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "splunk_sim_proc.h"

/* Seeded notables span [now - 3060 s, now - 60 s); a two-hour first window
 * and no delay read them all. */
#define BASE_CONF "\"first_window\":7200000,\"delay\":0,\"lookback\":600000,\"retries\":-1"

static struct sim sim;
static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;

static void start_sim(const char *const *args)
{
    sim_proc_start(&sim, SPLUNK_SIM, args);
    fh = sim_host_new("splunk-test");
    plugin = sim_plugin("splunk");
}

static void init_plugin(const char *extra)
{
    char conf[1024];
    snprintf(conf, sizeof(conf), "{" BASE_CONF "%s%s}", extra != NULL ? "," : "",
             extra != NULL ? extra : "");
    int rc = sim_plugin_init(plugin, fh, &sim, conf, &state);
    cr_assert_eq(rc, NBSOAR_OK, "init failed: %s", fake_host_log(fh));
}

static void start(const char *extra)
{
    start_sim(NULL);
    init_plugin(extra);
}

static void restart_plugin(const char *extra)
{
    plugin->shutdown(state);
    state = NULL;
    init_plugin(extra);
}

static void stop(void)
{
    fake_host_stop(&fh, plugin, &state);
    sim_stop(&sim);
}

static int poll_once(void)
{
    return plugin->poll(state);
}

/* Each window ends at "now"; the next poll needs the clock to move on. */
static void next_second(void)
{
    usleep(1100 * 1000);
}

/* Asserts every emitted event id is distinct; returns how many there are. */
static size_t assert_unique(void)
{
    json_t *ids = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev) {
        const char *id = json_string_value(json_object_get(ev, "id"));
        cr_assert_not_null(id, "event %zu has no id", i);
        cr_assert_null(json_object_get(ids, id), "event %s emitted twice", id);
        cr_assert_neq(strncmp(id, "PREVIEW", 7), 0, "a preview row was emitted");
        json_object_set_new(ids, id, json_true());
    }
    size_t n = json_object_size(ids);
    json_decref(ids);
    return n;
}

static int notables_in_state(void)
{
    json_t *st = sim_state(&sim);
    int n = (int)json_array_size(json_object_get(st, "notables"));
    json_decref(st);
    return n;
}

static const char *cursor(void)
{
    return json_string_value(json_object_get(fh->cursors, "notables"));
}

Test(splunk_source, window_of_1000_notables_each_emitted_once_with_every_field, .fini = stop)
{
    start(NULL);
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000, "emitted %zu", json_array_size(fh->events));
    cr_assert_eq(assert_unique(), 1000);
    cr_assert_not_null(cursor(), "no cursor after a whole stream");

    json_t *ev = json_array_get(fh->events, 0);
    json_t *fields = json_object_get(ev, "fields");
    static const char *const keys[] = {"event_id", "rule_name", "rule_title", "search_name",
                                       "source", "orig_sourcetype", "urgency", "severity",
                                       "status", "owner", "security_domain", "drilldown_search",
                                       "_time", NULL};
    for (size_t k = 0; keys[k] != NULL; k++)
        cr_assert_not_null(json_object_get(fields, keys[k]), "fields.%s missing", keys[k]);
    json_t *ref = json_object_get(ev, "ref");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "system")), "splunk");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "kind")), "notable");
    cr_assert_str_eq(json_string_value(json_object_get(ref, "id")),
                     json_string_value(json_object_get(fields, "event_id")));
    cr_assert_str_eq(json_string_value(json_object_get(ev, "type")), "notable");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "source")), "splunk-test");
    const char *title = json_string_value(json_object_get(ev, "title"));
    cr_assert(title != NULL && strchr(title, '$') == NULL, "title tokens not filled: %s", title);
    const char *when = json_string_value(json_object_get(ev, "time"));
    cr_assert(when != NULL && strlen(when) == 20 && when[19] == 'Z', "time %s", when);
    json_t *det = json_object_get(fields, "detection");
    cr_assert(json_is_true(json_object_get(det, "found")), "no detection");
    cr_assert_str_eq(json_string_value(json_object_get(det, "name")),
                     json_string_value(json_object_get(fields, "search_name")));
    cr_assert_not_null(json_string_value(json_object_get(det, "search")), "no SPL");
    cr_assert(json_is_object(json_object_get(det, "annotations")), "annotations not parsed");

    /* Nothing new: the next window emits nothing. */
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000);
}

Test(splunk_source, correlation_search_read_once_per_name, .fini = stop)
{
    start(NULL);
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    next_second();
    json_decref(sim_hook(&sim, "add", "{\"count\": 8, \"age\": 5}"));
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1008);
    json_t *st = sim_state(&sim);
    json_t *per_name = json_object_get(json_object_get(st, "counts"), "saved_search");
    cr_assert_eq(json_object_size(per_name), 4, "searches asked for: %zu", json_object_size(per_name));
    const char *name;
    json_t *count;
    json_object_foreach(per_name, name, count)
        cr_assert_eq(json_integer_value(count), 1, "%s read %lld times", name,
                     (long long)json_integer_value(count));
    json_decref(st);
}

Test(splunk_source, correlation_search_read_again_after_its_ttl, .fini = stop)
{
    start("\"enrich_ttl\":1000");
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    json_t *st = sim_state(&sim);
    json_t *before = json_deep_copy(json_object_get(json_object_get(st, "counts"), "saved_search"));
    json_decref(st);
    next_second();
    /* Four new notables: one per correlation search of the simulator. */
    json_decref(sim_hook(&sim, "add", "{\"count\": 4, \"age\": 1}"));
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    st = sim_state(&sim);
    json_t *after = json_object_get(json_object_get(st, "counts"), "saved_search");
    cr_assert_eq(json_object_size(after), 4);
    const char *name;
    json_t *count;
    json_object_foreach(after, name, count) {
        json_int_t was = json_integer_value(json_object_get(before, name));
        cr_assert_eq(json_integer_value(count), was + 1, "%s read %lld times, %lld before", name,
                     (long long)json_integer_value(count), (long long)was);
    }
    json_decref(before);
    json_decref(st);
}

Test(splunk_source, late_events_under_the_lookback_emitted_once, .fini = stop)
{
    start(NULL);
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000);
    /* Indexed now, _time two minutes ago: before the cursor, inside the lookback. */
    json_decref(sim_hook(&sim, "add", "{\"count\": 7, \"age\": 120}"));
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1007, "emitted %zu", json_array_size(fh->events));
    cr_assert_eq(assert_unique(), 1007);
    cr_assert_gt(json_real_value(json_object_get(fh->counters, "splunk_notables_duplicate_total")), 0,
                 "the lookback re-read nothing");

    /* A restarted instance reads the seen-set from the cursor. */
    restart_plugin(NULL);
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1007, "re-emitted after restart: %zu",
                 json_array_size(fh->events));
}

Test(splunk_source, search_error_in_messages_fails_and_keeps_the_cursor, .fini = stop)
{
    start(NULL);
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"search_error\",\"after\":100,\"count\":1}"));
    cr_assert_eq(poll_once(), NBSOAR_ERROR);
    cr_assert_null(cursor(), "cursor advanced after a search error");
    cr_assert_not_null(strstr(fake_host_log(fh), "unbalanced parentheses"), "%s", fake_host_log(fh));
    cr_assert_not_null(strstr(fake_host_log(fh), "Splunk search failed"), "%s", fake_host_log(fh));
    /* Fixed: the window is read again, nothing twice. */
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(assert_unique(), 1000);
    cr_assert_eq(json_array_size(fh->events), 1000);
}

Test(splunk_source, bad_search_refused_by_splunkd_names_its_message, .fini = stop)
{
    start("\"search\":\"| bogus\"");
    cr_assert_eq(poll_once(), NBSOAR_ERROR);
    cr_assert_not_null(strstr(fake_host_log(fh), "Unknown search command 'bogus'"), "%s",
                       fake_host_log(fh));
    cr_assert_null(cursor());
}

Test(splunk_source, wrong_token_is_an_auth_error_without_the_token, .fini = stop)
{
    start("\"token\":\"wrong-token-abcdef987654\"");
    cr_assert_eq(poll_once(), NBSOAR_ERROR);
    const char *log = fake_host_log(fh);
    cr_assert_not_null(strstr(log, "401"), "%s", log);
    cr_assert_not_null(strstr(log, "call not properly authenticated"), "%s", log);
    cr_assert_not_null(strstr(log, "check token"), "%s", log);
    cr_assert_null(strstr(log, "wrong-token-abcdef987654"), "token leaked: %s", log);
    cr_assert_eq(json_array_size(fh->events), 0);
    cr_assert_null(cursor());
}

Test(splunk_source, wrong_password_is_a_login_error_without_the_password, .fini = stop)
{
    start("\"username\":\"" SIM_USER "\",\"password\":\"not-the-password-77\"");
    cr_assert_eq(poll_once(), NBSOAR_ERROR);
    const char *log = fake_host_log(fh);
    cr_assert_not_null(strstr(log, "Splunk login as " SIM_USER " failed"), "%s", log);
    cr_assert_not_null(strstr(log, "Login failed"), "%s", log);
    cr_assert_null(strstr(log, "not-the-password-77"), "password leaked: %s", log);
}

Test(splunk_source, session_key_login_and_relogin_after_401, .fini = stop)
{
    start("\"username\":\"" SIM_USER "\",\"password\":\"" SIM_PASSWORD "\"");
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000);
    json_t *st = sim_state(&sim);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "counts"), "login")), 1);
    json_decref(st);

    /* splunkd restarted: every session key is gone. */
    json_decref(sim_hook(&sim, "expire", NULL));
    json_decref(sim_hook(&sim, "add", "{\"count\": 3, \"age\": 1}"));
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1003);
    st = sim_state(&sim);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "counts"), "login")), 2);
    json_decref(st);
    cr_assert_not_null(strstr(fake_host_log(fh), "logging in again"), "%s", fake_host_log(fh));
    cr_assert_null(strstr(fake_host_log(fh), "sess-"), "session key leaked: %s", fake_host_log(fh));
}

Test(splunk_source, stream_cut_midway_retries_without_loss_or_repeat, .fini = stop)
{
    start(NULL);
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"cut\",\"after\":500,\"count\":1}"));
    cr_assert_eq(poll_once(), NBSOAR_RETRY, "%s", fake_host_log(fh));
    cr_assert_null(cursor(), "cursor advanced after a cut stream");
    size_t first = json_array_size(fh->events);
    cr_assert(first > 0 && first <= 500, "emitted %zu before the cut", first);
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000, "emitted %zu", json_array_size(fh->events));
    cr_assert_eq(assert_unique(), 1000);
    cr_assert_not_null(cursor());
}

Test(splunk_source, cut_then_restart_reemits_only_what_the_journal_dedups, .fini = stop)
{
    start(NULL);
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"cut\",\"after\":300,\"count\":1}"));
    cr_assert_eq(poll_once(), NBSOAR_RETRY);
    size_t first = json_array_size(fh->events);
    json_t *before = json_deep_copy(fh->events);
    /* A crash loses the in-memory seen-set; the host's journal (source + id)
     * drops the repeats, so they must carry the same ids. */
    restart_plugin(NULL);
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 1000 + first);
    json_t *ids = json_object();
    size_t i;
    json_t *ev;
    json_array_foreach(fh->events, i, ev)
        json_object_set_new(ids, json_string_value(json_object_get(ev, "id")), json_true());
    cr_assert_eq(json_object_size(ids), 1000);
    json_decref(ids);
    json_decref(before);
}

Test(splunk_source, slow_chunked_stream_outlives_the_request_timeout, .fini = stop)
{
    static const char *const args[] = {"--notables", "200", "--chunk-bytes", "2048", NULL};
    start_sim(args);
    init_plugin("\"timeout\":500");
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"slow\",\"delay\":0.01,\"count\":1,"
                                       "\"match\":\"export\"}"));
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 200);
    cr_assert_eq(assert_unique(), 200);
}

Test(splunk_source, refused_event_leaves_the_cursor_and_is_read_again, .fini = stop)
{
    start(NULL);
    fake_host_fail_emit(fh, NBSOAR_RETRY, 1);
    cr_assert_eq(poll_once(), NBSOAR_RETRY);
    cr_assert_null(cursor());
    cr_assert_eq(json_array_size(fh->events), 0);
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(assert_unique(), 1000);
}

Test(splunk_source, server_error_is_retry, .fini = stop)
{
    start(NULL);
    json_decref(sim_hook(&sim, "fail", "{\"mode\":\"500\",\"count\":-1,\"match\":\"export\"}"));
    cr_assert_eq(poll_once(), NBSOAR_RETRY);
    cr_assert_null(cursor());
    cr_assert_eq(notables_in_state(), 1000);
}

Test(splunk_source, https_verified_with_ca_file_and_refused_without, .fini = stop)
{
    static const char *const args[] = {"--notables", "50", NULL};
    sim_proc_start_tls(&sim, SPLUNK_SIM, "splunk-sim", args);
    fh = sim_host_new("splunk-test");
    plugin = sim_plugin("splunk");
    char conf[256];
    snprintf(conf, sizeof(conf), "\"ca_file\":\"%s/cert.pem\"", sim.tls_dir);
    init_plugin(conf);
    cr_assert_eq(poll_once(), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(json_array_size(fh->events), 50);

    /* The system store does not know the simulator's certificate. */
    restart_plugin(NULL);
    fake_host_log_clear(fh);
    next_second();
    cr_assert_eq(poll_once(), NBSOAR_ERROR, "%s", fake_host_log(fh));
    cr_assert_not_null(strstr(fake_host_log(fh), "certificate"), "%s", fake_host_log(fh));
}
