/* The spool source on JSONL: lines consumed once, across polls and restarts. */
#include "spool_fixture.h"

static char jsonl[4096];

static void use_jsonl(void)
{
    snprintf(jsonl, sizeof(jsonl), "%s/events.jsonl", dir);
}

TestSuite(spool_jsonl, .init = setup, .fini = teardown, .timeout = 30);

Test(spool_jsonl, lines_are_consumed_once_across_polls_and_reinit)
{
    use_jsonl();
    test_append_file(jsonl, "{\"id\": \"l1\"}\n{\"id\": \"l2\"}\n");
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(n_events(), 2);

    /* A line still being written (no newline yet) waits for its end. */
    test_append_file(jsonl, "{\"id\": \"l3\"}\n{\"id\": \"l4\"");
    plugin->poll(state);
    cr_assert_eq(n_events(), 3);
    cr_assert_str_eq(event_str(2, "id"), "l3");

    test_append_file(jsonl, "}\n");
    /* A restart: a new plugin state on the same host keeps the host's cursor. */
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    plugin->poll(state);
    cr_assert_eq(n_events(), 4, "no line read twice, none lost");
    cr_assert_str_eq(event_str(3, "id"), "l4");
    cr_assert(test_file_exists(dir, "events.jsonl"), "a JSONL file is read in place");
    cr_assert_eq(json_object_size(fh->cursors), 1);
    const char *key = json_object_iter_key(json_object_iter(fh->cursors));
    char prefix[4200];
    snprintf(prefix, sizeof(prefix), "jsonl:%s:", jsonl);
    cr_assert_eq(strncmp(key, prefix, strlen(prefix)), 0, "cursor key is path + inode: %s", key);
    cr_assert_str_eq(json_string_value(json_object_get(fh->cursors, key)), "52 4",
                     "the cursor holds the byte offset and line count");
}

Test(spool_jsonl, bad_lines_are_reported_with_their_line_number)
{
    use_jsonl();
    test_append_file(jsonl, "{\"id\": \"ok1\"}\nnot json\n\n[1, 2]\n{\"title\": \"no id\"}\n{\"id\": \"ok2\"}\n");
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(n_events(), 2);
    cr_assert_str_eq(event_str(1, "id"), "ok2");
    const char *log = fake_host_log(fh);
    cr_assert(strstr(log, "events.jsonl line 2: not valid JSON: ") != NULL, "%s", log);
    cr_assert(strstr(log, "events.jsonl line 4: the JSON value is an array") != NULL, "%s", log);
    cr_assert(strstr(log, "events.jsonl line 5: missing field \"id\"") != NULL, "%s", log);

    char rejected[4096];
    snprintf(rejected, sizeof(rejected), "%s/rejected", dir);
    char *text = test_read_file(rejected, "events.jsonl.rejected.jsonl");
    cr_assert_not_null(text, "bad lines go to rejected/events.jsonl.rejected.jsonl");
    json_error_t jerr;
    json_t *first = json_loadb(text, strcspn(text, "\n"), 0, &jerr);
    cr_assert_not_null(first, "%s", jerr.text);
    cr_assert_eq(json_integer_value(json_object_get(first, "line")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(first, "text")), "not json");
    cr_assert_str_eq(json_string_value(json_object_get(first, "file")), jsonl);
    cr_assert_str_eq(json_string_value(json_object_get(first, "reason")),
                     "not valid JSON: invalid token near 'not' at line 1 column 3");
    json_decref(first);
    int lines = 0;
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 3, "one record per bad line: %s", text);
    free(text);
}

Test(spool_jsonl, a_refused_line_is_offered_again_without_duplicates)
{
    use_jsonl();
    test_append_file(jsonl, "{\"id\": \"a\"}\n{\"id\": \"b\"}\n{\"id\": \"c\"}\n");
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_eq(n_events(), 3);
    test_append_file(jsonl, "{\"id\": \"d\"}\n{\"id\": \"e\"}\n");
    fake_host_fail_emit(fh, NBSOAR_RETRY, 1);
    cr_assert_eq(plugin->poll(state), NBSOAR_RETRY);
    cr_assert_eq(n_events(), 3);
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    cr_assert_eq(n_events(), 5);
    cr_assert_str_eq(event_str(3, "id"), "d");
    cr_assert_str_eq(event_str(4, "id"), "e");
}

Test(spool_jsonl, a_truncated_file_is_read_again_from_the_start)
{
    use_jsonl();
    test_append_file(jsonl, "{\"id\": \"first-long-id\"}\n");
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    FILE *f = fopen(jsonl, "w"); /* truncate in place: same inode */
    cr_assert_not_null(f);
    fputs("{\"id\": \"n\"}\n", f);
    fclose(f);
    plugin->poll(state);
    cr_assert_eq(n_events(), 2);
    cr_assert_str_eq(event_str(1, "id"), "n");
    cr_assert(strstr(fake_host_log(fh), "truncated") != NULL, "%s", fake_host_log(fh));
}

Test(spool_jsonl, a_jsonl_file_not_there_yet_is_waited_for)
{
    use_jsonl();
    cr_assert_eq(start(jsonl, ""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK);
    test_append_file(jsonl, "{\"id\": \"late\"}\n");
    plugin->poll(state);
    cr_assert_eq(n_events(), 1);
}

Test(spool_jsonl, jsonl_files_in_a_folder_are_consumed_then_moved_to_done)
{
    test_write_file(dir, "batch.jsonl", "{\"id\": \"b1\"}\n{\"id\": \"b2\"}\n{\"id\": \"b3\"}", (size_t)-1);
    test_write_file(dir, "single.json", "{\"id\": \"s\"}", (size_t)-1);
    cr_assert_eq(start(dir, "\"pattern\": \"*.json*\""), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(plugin->poll(state), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert_eq(n_events(), 4, "a finished file's last line needs no newline");
    cr_assert_str_eq(event_str(2, "id"), "b3");
    char done[4096];
    snprintf(done, sizeof(done), "%s/done", dir);
    cr_assert(test_file_exists(done, "batch.jsonl"));
    const char *key = json_object_iter_key(json_object_iter(fh->cursors));
    cr_assert_str_eq(json_string_value(json_object_get(fh->cursors, key)), "",
                     "the cursor of a finished file is cleared");
}

Test(spool_jsonl, a_line_over_max_event_bytes_is_rejected_and_skipped)
{
    use_jsonl();
    test_append_file(jsonl, "{\"id\": \"a-rather-long-event-id\"}\n{\"id\": \"ok\"}\n");
    cr_assert_eq(start(jsonl, "\"max_event_bytes\": 20"), NBSOAR_OK, "%s", fake_host_log(fh));
    plugin->poll(state);
    cr_assert_eq(n_events(), 1);
    cr_assert_str_eq(event_str(0, "id"), "ok");
    cr_assert(strstr(fake_host_log(fh), "line 1: event is 32 bytes, more than max_event_bytes (20)") != NULL,
              "%s", fake_host_log(fh));
}
