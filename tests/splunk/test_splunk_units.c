/* The splunk plugin's parsers on their own: the line splitter under any
 * chunking, export lines (preview, results, messages, lastrow), _time
 * formats, event building, the seen-set and its cursor text, and the
 * SplunkUpdateNotable value checks. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

struct collected {
    char text[4096];
    size_t len;
    int lines;
};

static int collect_line(void *arg, const char *line, size_t len)
{
    struct collected *c = arg;
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "[%.*s]", (int)len, line);
    c->lines++;
    return 0;
}

Test(splunk_lines, same_lines_whatever_the_chunk_size)
{
    const char *body = "{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":\"x\\ny\"}\nlast-without-newline";
    const char *want = "[{\"a\":1}][{\"b\":2}][][{\"c\":\"x\\ny\"}][last-without-newline]";
    size_t total = strlen(body);
    for (size_t chunk = 1; chunk <= total; chunk++) {
        struct collected c = {0};
        struct sp_lines ls = {.on_line = collect_line, .arg = &c, .max_line = 1024};
        for (size_t off = 0; off < total; off += chunk) {
            size_t n = total - off < chunk ? total - off : chunk;
            cr_assert_eq(sp_lines_feed(&ls, body + off, n), 0);
        }
        cr_assert_eq(sp_lines_finish(&ls), 0);
        sp_lines_free(&ls);
        cr_assert_str_eq(c.text, want, "chunk %zu: %s", chunk, c.text);
    }
}

Test(splunk_lines, a_line_over_max_line_is_refused)
{
    struct collected c = {0};
    struct sp_lines ls = {.on_line = collect_line, .arg = &c, .max_line = 8};
    cr_assert_eq(sp_lines_feed(&ls, "12345", 5), 0);
    cr_assert_eq(sp_lines_feed(&ls, "67890\n", 6), -1);
    cr_assert(ls.too_long);
    sp_lines_free(&ls);
    struct sp_lines whole = {.on_line = collect_line, .arg = &c, .max_line = 8};
    cr_assert_eq(sp_lines_feed(&whole, "1234567890\n", 11), -1);
    cr_assert(whole.too_long);
    sp_lines_free(&whole);
}

struct rows {
    json_t *ids;
};

static int collect_row(void *arg, json_t *row)
{
    struct rows *r = arg;
    json_array_append(r->ids, json_object_get(row, "event_id"));
    return 0;
}

static int feed(struct sp_export *ex, const char *line)
{
    return sp_export_line(ex, line, strlen(line));
}

Test(splunk_export, preview_rows_skipped_final_rows_and_lastrow_kept)
{
    struct rows r = {json_array()};
    struct sp_export ex = {.on_result = collect_row, .arg = &r};
    cr_assert_eq(feed(&ex, "{\"preview\":true,\"offset\":0,\"result\":{\"event_id\":\"p\"}}"), 0);
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"offset\":0,\"result\":{\"event_id\":\"a\"}}"), 0);
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"results\":[{\"event_id\":\"b\"},{\"event_id\":\"c\"}]}"), 0);
    cr_assert_eq(feed(&ex, "   "), 0);
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"offset\":3,\"lastrow\":true,\"result\":{\"event_id\":\"d\"}}"), 0);
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"messages\":[{\"type\":\"INFO\",\"text\":\"done\"}]}"), 0);
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"lastrow\":true}"), 0);
    cr_assert_eq(ex.results, 4);
    cr_assert_eq(ex.previews, 1);
    cr_assert(ex.lastrow && ex.saw_offset);
    char *ids = json_dumps(r.ids, JSON_COMPACT);
    cr_assert_str_eq(ids, "[\"a\",\"b\",\"c\",\"d\"]");
    free(ids);
    json_decref(r.ids);
}

Test(splunk_export, preview_sets_end_with_lastrow_too_but_do_not_count)
{
    struct rows r = {json_array()};
    struct sp_export ex = {.on_result = collect_row, .arg = &r};
    cr_assert_eq(feed(&ex, "{\"preview\":true,\"offset\":0,\"lastrow\":true,\"result\":{\"event_id\":\"p\"}}"), 0);
    cr_assert_not(ex.lastrow, "a preview set's lastrow ended the final set");
    cr_assert_eq(feed(&ex, "{\"preview\":false,\"lastrow\":true}"), 0);
    cr_assert(ex.lastrow);
    cr_assert_eq(ex.results, 0);
    json_decref(r.ids);
}

Test(splunk_export, error_message_and_bad_line_stop_the_stream)
{
    struct rows r = {json_array()};
    struct sp_export ex = {.on_result = collect_row, .arg = &r};
    cr_assert_eq(feed(&ex, "{\"messages\":[{\"type\":\"WARN\",\"text\":\"w\"},"
                           "{\"type\":\"FATAL\",\"text\":\"Unknown search command 'x'.\"}]}"), -1);
    cr_assert_str_eq(ex.error, "Splunk search failed: FATAL: Unknown search command 'x'.");
    struct sp_export bad = {.on_result = collect_row, .arg = &r};
    cr_assert_eq(feed(&bad, "<html>"), -1);
    cr_assert_not_null(strstr(bad.error, "line 1 is not a JSON object"), "%s", bad.error);
    json_decref(r.ids);
}

Test(splunk_event, time_formats)
{
    cr_assert_float_eq(sp_parse_time("1795162442"), 1795162442.0, 1e-6);
    cr_assert_float_eq(sp_parse_time("1795162442.250"), 1795162442.25, 1e-6);
    cr_assert_float_eq(sp_parse_time("2026-11-20T08:14:02.000+00:00"), 1795162442.0, 1e-6);
    cr_assert_float_eq(sp_parse_time("2026-11-20T09:14:02.500+01:00"), 1795162442.5, 1e-6);
    cr_assert_float_eq(sp_parse_time("2026-11-20T03:14:02-0500"), 1795162442.0, 1e-6);
    cr_assert_float_eq(sp_parse_time("2026-11-20T08:14:02Z"), 1795162442.0, 1e-6);
    cr_assert_float_eq(sp_parse_time("2026-11-20 08:14:02.000 GMT"), 1795162442.0, 1e-6);
    cr_assert_lt(sp_parse_time("yesterday"), 0);
    cr_assert_lt(sp_parse_time("2026-11-20T08:14:02+0"), 0);
    cr_assert_lt(sp_parse_time(NULL), 0);
}

Test(splunk_event, event_shape_and_title_tokens)
{
    json_t *row = json_pack("{s:s, s:s, s:s, s:[s,s], s:s}", "event_id", "G@@notable@@abc",
                            "_time", "2026-11-20T08:14:02.000+00:00",
                            "rule_title", "Failed logins for $user$ from $src$ ($missing$)",
                            "user", "alice", "bob", "src", "10.0.0.1");
    json_t *det = json_pack("{s:s}", "search", "| tstats count");
    json_t *ev = sp_event_build(row, "splunk-prod", det);
    cr_assert_not_null(ev);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "id")), "G@@notable@@abc");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "source")), "splunk-prod");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "time")), "2026-11-20T08:14:02Z");
    cr_assert_str_eq(json_string_value(json_object_get(ev, "title")),
                     "Failed logins for alice from 10.0.0.1 ($missing$)");
    json_t *fields = json_object_get(ev, "fields");
    cr_assert_eq(json_array_size(json_object_get(fields, "user")), 2, "multi-value kept");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(fields, "detection"), "search")),
                     "| tstats count");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "ref"), "id")),
                     "G@@notable@@abc");
    json_decref(ev);
    json_decref(det);
    json_decref(row);
    json_t *no_id = json_pack("{s:s}", "_time", "1");
    cr_assert_null(sp_event_build(no_id, "s", NULL));
    json_decref(no_id);
}

Test(splunk_seen, bounded_and_round_trips_through_the_cursor)
{
    struct sp_seen s;
    cr_assert_eq(sp_seen_init(&s, 100), 0);
    char id[64];
    for (int i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        cr_assert_eq(sp_seen_add(&s, sp_seen_hash(id), 1000 + i), 0);
    }
    cr_assert_eq(s.count, 100);
    /* Full: one more evicts the oldest half, never the newest. */
    cr_assert_eq(sp_seen_add(&s, sp_seen_hash("id-new"), 2000), 0);
    cr_assert_leq(s.count, 100);
    cr_assert(sp_seen_has(&s, sp_seen_hash("id-new")));
    cr_assert(sp_seen_has(&s, sp_seen_hash("id-99")));
    cr_assert_not(sp_seen_has(&s, sp_seen_hash("id-0")));

    sp_seen_prune(&s, 1090);
    size_t kept = s.count;
    char *text = sp_cursor_format(&s, 1600);
    cr_assert_not_null(text);
    struct sp_seen back;
    int64_t until = 0;
    char err[128];
    cr_assert_eq(sp_seen_init(&back, 100), 0);
    cr_assert_eq(sp_cursor_parse(text, &back, &until, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(until, 1600);
    cr_assert_eq(back.count, kept);
    cr_assert(sp_seen_has(&back, sp_seen_hash("id-95")));
    cr_assert_not(sp_seen_has(&back, sp_seen_hash("id-80")));
    cr_assert_neq(sp_cursor_parse("{\"until\":\"x\"}", &back, &until, err, sizeof(err)), 0);
    cr_assert_neq(sp_cursor_parse("{\"v\":1,\"until\":5,\"seen\":\"zz\"}", &back, &until, err,
                                  sizeof(err)), 0);
    free(text);
    sp_seen_free(&back);
    sp_seen_free(&s);
}

static int validate(const char *op_json, const char *event_json, struct sp_update *u, char *err)
{
    json_t *op = json_loads(op_json, 0, NULL);
    json_t *ev = event_json != NULL ? json_loads(event_json, 0, NULL) : NULL;
    int rc = sp_update_validate(op, ev, u, err, 512);
    json_decref(op);
    json_decref(ev);
    return rc;
}

Test(splunk_update, names_map_to_notable_update_values)
{
    struct sp_update u;
    char err[512];
    const char *ev = "{\"ref\":{\"system\":\"splunk\",\"kind\":\"notable\",\"id\":\"A@@notable@@1\"}}";
    cr_assert_eq(validate("{\"type\":\"SplunkUpdateNotable\",\"status\":\"In Progress\","
                          "\"urgency\":\"HIGH\",\"disposition\":\"benign-positive\"}", ev, &u, err),
                 NBSOAR_OK, "%s", err);
    cr_assert_eq(u.status, 2);
    cr_assert_str_eq(u.urgency, "high");
    cr_assert_str_eq(u.disposition, "disposition:2");
    cr_assert_str_eq(u.event_id, "A@@notable@@1");
    cr_assert_eq(validate("{\"type\":\"SplunkUpdateNotable\",\"status\":\"7\","
                          "\"disposition\":\"disposition:6\"}", ev, &u, err), NBSOAR_OK, "%s", err);
    cr_assert_eq(u.status, 7, "site-defined statuses go by number");
    cr_assert_str_eq(u.disposition, "disposition:6");
    cr_assert_eq(validate("{\"type\":\"SplunkUpdateNotable\",\"status\":\"closed\",\"disposition\":3}",
                          "{\"fields\":{\"event_id\":\"B@@notable@@2\"}}", &u, err), NBSOAR_OK, "%s", err);
    cr_assert_eq(u.status, 5);
    cr_assert_str_eq(u.event_id, "B@@notable@@2");
    cr_assert_eq(validate("{\"type\":\"SplunkUpdateNotable\",\"comment\":\"x\",\"event_id\":\"a\\nb\"}",
                          NULL, &u, err), NBSOAR_ERROR);
}

Test(splunk_client, form_encoding_and_server_messages)
{
    char *form = NULL;
    cr_assert_eq(sp_form_add(&form, "search", "search `notable` | where a=\"b c\"&x"), 0);
    cr_assert_eq(sp_form_add(&form, "output_mode", "json"), 0);
    cr_assert_str_eq(form, "search=search%20%60notable%60%20%7C%20where%20a%3D%22b%20c%22%26x"
                           "&output_mode=json");
    free(form);
    char out[200];
    json_t *m = json_loads("{\"messages\":[{\"type\":\"WARN\",\"text\":\"call not properly "
                           "authenticated\"}]}", 0, NULL);
    sp_server_message(m, NULL, out, sizeof(out));
    cr_assert_str_eq(out, "call not properly authenticated");
    json_decref(m);
    m = json_loads("{\"success\":false,\"message\":\"ValueError: Invalid urgency value.\"}", 0, NULL);
    sp_server_message(m, NULL, out, sizeof(out));
    cr_assert_str_eq(out, "ValueError: Invalid urgency value.");
    json_decref(m);
}
