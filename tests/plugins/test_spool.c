/* The spool source end to end: the built spool.so driven through the fake host. */
#include "spool_fixture.h"

static void assert_reason(const char *name, const char *expected)
{
    char reason_name[512], rejected[4096];
    snprintf(reason_name, sizeof(reason_name), "%s.reason", name);
    snprintf(rejected, sizeof(rejected), "%s/rejected", dir);
    cr_assert(test_file_exists(rejected, name), "%s not moved to rejected/", name);
    char *text = test_read_file(rejected, reason_name);
    cr_assert_not_null(text, "no %s beside the rejected file", reason_name);
    cr_assert_str_eq(text, expected, "reason for %s", name);
    free(text);
}

TestSuite(spool, .init = setup, .fini = teardown, .timeout = 30);

Test(spool, declares_a_source_with_its_config_keys)
{
    cr_assert_str_eq(plugin->name, "spool");
    cr_assert_not_null(plugin->poll);
    cr_assert_null(plugin->apply);
    json_t *conf = fake_host_config(plugin, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(conf, "pattern")), "*.json");
    cr_assert_eq(json_integer_value(json_object_get(conf, "max_event_bytes")), 10485760);
    json_decref(conf);
}

Test(spool, good_files_become_events_and_move_to_done)
{
    test_write_file(dir, "a.json",
                    "{\"id\": \"edr-1\", \"source\": \"edr\", \"type\": \"detection\", "
                    "\"time\": \"2026-11-20T11:05:12Z\", \"title\": \"t\", \"fields\": {\"host\": \"h1\"}, "
                    "\"raw\": {}, \"ref\": {\"system\": \"edr\", \"kind\": \"detection\", \"id\": \"1\"}}",
                    (size_t)-1);
    test_write_file(dir, "b.json", "{\"id\": \"min-2\", \"custom\": [1, 2]}", (size_t)-1);
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));

    cr_assert_eq(n_events(), 2);
    cr_assert_str_eq(event_str(0, "id"), "edr-1");
    cr_assert_str_eq(event_str(0, "source"), "edr", "a source in the file is kept");
    cr_assert_str_eq(event_str(0, "time"), "2026-11-20T11:05:12Z");
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(fh->events, 0), "fields"), "host")), "h1");
    cr_assert_str_eq(event_str(1, "id"), "min-2");
    cr_assert_str_eq(event_str(1, "source"), "spool-test", "a missing source is the instance name");
    const char *t = event_str(1, "time");
    cr_assert_not_null(t, "a missing time is filled");
    cr_assert_eq(strlen(t), strlen("2026-11-22T06:31:35.123Z"), "ISO-8601 UTC with ms: %s", t);
    cr_assert_eq(t[strlen(t) - 1], 'Z');
    cr_assert_eq(json_array_size(json_object_get(json_array_get(fh->events, 1), "custom")), 2,
                 "other members are kept");

    char done[4096];
    snprintf(done, sizeof(done), "%s/done", dir);
    cr_assert(test_file_exists(done, "a.json"));
    cr_assert(test_file_exists(done, "b.json"));
    cr_assert_not(test_file_exists(dir, "a.json"));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(n_events(), 2, "nothing is read twice");
}

Test(spool, source_name_fills_missing_sources)
{
    test_write_file(dir, "a.json", "{\"id\": \"x\"}", (size_t)-1);
    cr_assert_eq(start(dir, "\"source_name\": \"dropbox\""), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_str_eq(event_str(0, "source"), "dropbox");
}

Test(spool, malformed_files_go_to_rejected_with_the_reason)
{
    test_write_file(dir, "notjson.json", "{\"id\": \"a\",\n  ,}", (size_t)-1);
    test_write_file(dir, "array.json", "[{\"id\": \"a\"}]", (size_t)-1);
    test_write_file(dir, "string.json", "\"just text\"", (size_t)-1);
    test_write_file(dir, "noid.json", "{\"title\": \"no id here\"}", (size_t)-1);
    test_write_file(dir, "badfield.json", "{\"id\": \"x\", \"fields\": \"host=a\"}", (size_t)-1);
    test_write_file(dir, "empty.json", "", 0);
    /* 11 MiB of valid JSON: too big is decided before parsing. */
    size_t big = 11u << 20;
    char *data = malloc(big);
    memset(data, ' ', big);
    memcpy(data, "{\"id\": \"big\"}", 13);
    test_write_file(dir, "big.json", data, big);
    free(data);

    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(n_events(), 0);

    assert_reason("notjson.json", "not valid JSON: string or '}' expected near ',' at line 2 column 3\n");
    assert_reason("array.json", "the JSON value is an array, not an object: one event object per file or line\n");
    assert_reason("string.json", "the JSON value is a string, not an object: one event object per file or line\n");
    assert_reason("noid.json",
                  "missing field \"id\" (a non-empty string; or set require_id = false to derive one)\n");
    assert_reason("badfield.json", "field \"fields\" must be an object, not a string\n");
    assert_reason("empty.json", "empty: no JSON value\n");
    assert_reason("big.json", "file is 11534336 bytes, more than max_event_bytes (10485760)\n");
    cr_assert_eq(test_count_entries(dir), 2, "only done/ and rejected/ are left");
    cr_assert(strstr(fake_host_log(fh), "WARN spool-test: rejected ") != NULL, "rejections are logged");
}

Test(spool, emit_retry_keeps_the_file_for_the_next_poll)
{
    test_write_file(dir, "a.json", "{\"id\": \"a\"}", (size_t)-1);
    test_write_file(dir, "b.json", "{\"id\": \"b\"}", (size_t)-1);
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    fake_host_fail_emit(fh, NBSOAR_RETRY, 1);
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    cr_assert_eq(n_events(), 0);
    cr_assert_eq(fh->emit_calls, 1, "a host that cannot take one event is not offered the next");
    cr_assert(test_file_exists(dir, "a.json"), "the file stays until the host accepts it");
    cr_assert(test_file_exists(dir, "b.json"));

    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(n_events(), 2);
    cr_assert_str_eq(event_str(0, "id"), "a");
    cr_assert_not(test_file_exists(dir, "a.json"));
}

Test(spool, emit_error_rejects_the_file_with_the_hosts_message)
{
    test_write_file(dir, "a.json", "{\"id\": \"a\"}", (size_t)-1);
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    fake_host_fail_emit(fh, NBSOAR_ERROR, 1);
    plugin->poll(state);
    assert_reason("a.json", "refused by the host: fake host: emit refused\n");
}

Test(spool, name_taken_in_done_gets_a_number_not_overwritten)
{
    char done[4096];
    snprintf(done, sizeof(done), "%s/done", dir);
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    test_write_file(done, "a.json", "old", (size_t)-1);
    test_write_file(dir, "a.json", "{\"id\": \"new\"}", (size_t)-1);
    plugin->poll(state);
    cr_assert_eq(n_events(), 1);
    char *old = test_read_file(done, "a.json");
    cr_assert_str_eq(old, "old");
    free(old);
    char *moved = test_read_file(done, "a-1.json");
    cr_assert_str_eq(moved, "{\"id\": \"new\"}");
    free(moved);
}

Test(spool, dot_files_and_other_names_are_left_alone)
{
    test_write_file(dir, "notes.txt", "{\"id\": \"n\"}", (size_t)-1);
    char partial[4096];
    snprintf(partial, sizeof(partial), "%s/.alert.json", dir);
    test_append_file(partial, "{\"id\": ");
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(n_events(), 0);
    cr_assert(test_file_exists(dir, ".alert.json"));
    cr_assert(test_file_exists(dir, "notes.txt"));
}

Test(spool, a_file_appearing_between_polls_is_taken_once)
{
    test_write_file(dir, "1.json", "{\"id\": \"one\"}", (size_t)-1);
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_eq(n_events(), 1);
    test_write_file(dir, "2.json", "{\"id\": \"two\"}", (size_t)-1);
    plugin->poll(state);
    plugin->poll(state);
    cr_assert_eq(n_events(), 2);
    cr_assert_str_eq(event_str(1, "id"), "two");
}

Test(spool, batch_limits_the_files_per_poll)
{
    for (int i = 0; i < 5; i++) {
        char name[32], body[64];
        snprintf(name, sizeof(name), "%d.json", i);
        snprintf(body, sizeof(body), "{\"id\": \"e%d\"}", i);
        test_write_file(dir, name, body, (size_t)-1);
    }
    cr_assert_eq(start(dir, "\"batch\": 2"), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_eq(n_events(), 2);
    plugin->poll(state);
    plugin->poll(state);
    cr_assert_eq(n_events(), 5);
    cr_assert_str_eq(event_str(4, "id"), "e4", "files are taken in name order");
}

Test(spool, derived_ids_are_stable_hashes_of_the_content)
{
    test_write_file(dir, "a.json", "{\"title\": \"same\", \"fields\": {\"x\": 1, \"y\": 2}}", (size_t)-1);
    test_write_file(dir, "b.json", "{\"fields\": {\"y\": 2, \"x\": 1}, \"title\": \"same\"}", (size_t)-1);
    test_write_file(dir, "c.json", "{\"title\": \"other\"}", (size_t)-1);
    cr_assert_eq(start(dir, "\"require_id\": false"), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_eq(n_events(), 3);
    const char *a = event_str(0, "id"), *b = event_str(1, "id"), *c = event_str(2, "id");
    cr_assert_eq(strncmp(a, "sha256:", 7), 0, "%s", a);
    cr_assert_eq(strlen(a), 7 + 64);
    cr_assert_str_eq(a, b, "key order does not change the id");
    cr_assert_str_neq(a, c);
}

Test(spool, check_mode_validates_without_creating_folders)
{
    fh->host.check_mode = 1;
    cr_assert_eq(start(dir, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(test_count_entries(dir), 0, "no done/ or rejected/ in check mode");
}

Test(spool, a_missing_folder_is_an_error_naming_the_key_and_path)
{
    char missing[4096];
    snprintf(missing, sizeof(missing), "%s/nowhere", dir);
    cr_assert_eq(start(missing, ""), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "key path: ") != NULL, "%s", fake_host_log(fh));
    cr_assert(strstr(fake_host_log(fh), "/nowhere: No such file or directory") != NULL, "%s", fake_host_log(fh));
}
