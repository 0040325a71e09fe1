#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "route_conf.h"
#include "route_match.h"

/* A minimal INI reader for the tests: `[route NAME]` and `key = value`
 * lines become route_defs with file "t.conf" and real line numbers. */
#define MAX_DEFS 160
#define MAX_KV 32
static struct route_def defs[MAX_DEFS];
static struct route_kv kvs[MAX_DEFS][MAX_KV];
static char *text_copy;

static size_t read_ini(const char *ini)
{
    free(text_copy);
    text_copy = strdup(ini);
    size_t n = 0;
    int line = 0;
    for (char *save = NULL, *l = strtok_r(text_copy, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        line++;
        while (*l == ' ')
            l++;
        if (*l == '\0')
            continue;
        if (strncmp(l, "[route ", 7) == 0) {
            char *end = strchr(l, ']');
            *end = '\0';
            cr_assert_lt(n, MAX_DEFS);
            defs[n] = (struct route_def){.name = l + 7, .file = "t.conf", .line = line,
                                         .kv = kvs[n], .n_kv = 0};
            n++;
            continue;
        }
        char *eq = strchr(l, '=');
        char *k_end = eq;
        while (k_end > l && k_end[-1] == ' ')
            k_end--;
        *k_end = '\0';
        char *v = eq + 1;
        while (*v == ' ')
            v++;
        struct route_def *d = &defs[n - 1];
        cr_assert_lt(d->n_kv, MAX_KV);
        kvs[n - 1][d->n_kv++] = (struct route_kv){.key = l, .value = v, .file = "t.conf",
                                                  .line = line};
    }
    return n;
}

static struct route_table *build(const char *ini, struct route_errors *errs)
{
    size_t n = read_ini(ini);
    return route_table_build(defs, n, errs);
}

static struct route_table *build_ok(const char *ini)
{
    struct route_errors errs = {0};
    struct route_table *t = build(ini, &errs);
    for (size_t i = 0; i < errs.n; i++)
        cr_log_error("%s", errs.items[i].msg);
    cr_assert_not_null(t, "table should build");
    route_errors_free(&errs);
    return t;
}

/* "route:notebook route:notebook" for an event, to compare in one assert. */
static char *match_str(struct route_table *t, const char *event_json)
{
    json_t *ev = json_loads(event_json, 0, NULL);
    cr_assert_not_null(ev, "bad test event");
    struct route_matcher *m = route_matcher_new(t);
    struct route_job jobs[32];
    size_t n = route_table_match(t, m, ev, jobs, 32);
    static char out[1024];
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 32; i++) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, jobs[i].route->name);
        strcat(out, ":");
        strcat(out, jobs[i].notebook);
    }
    route_matcher_free(m);
    json_decref(ev);
    return out;
}

static const char *SPLUNK =
    "{\"id\":\"n1\",\"source\":\"splunk\",\"type\":\"notable\",\"title\":\"Golden ticket\","
    "\"fields\":{\"rule_name\":\"Kerberos Golden Ticket Detected\",\"user\":\"svc_backup\","
    "\"urgency\":\"high\",\"ticket_lifetime_hours\":87600,\"score\":7.5,\"signed\":false,"
    "\"empty\":null,\"tags\":[\"tlp:amber\",\"kerberos\"],"
    "\"attributes\":[{\"type\":\"domain\",\"value\":\"a.example\"},"
    "{\"type\":\"ip-dst\",\"value\":\"198.51.100.23\"}],"
    "\"kibana.alert.rule.name\":\"dotted\"},"
    "\"raw\":{},\"ref\":{\"system\":\"splunk\",\"kind\":\"notable\",\"id\":\"n1\"}}";

Test(route_match, equality_with_and_without_equals_sign)
{
    struct route_table *t = build_ok(
        "[route a]\nmatch.source = splunk\nnotebooks = a.ipynb\n"
        "[route b]\nmatch.source = = splunk\nnotebooks = b.ipynb\ncontinue = true\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "a:a.ipynb");
    route_table_free(t);
    t = build_ok("[route b]\nmatch.source = = splunk\nnotebooks = b.ipynb\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "b:b.ipynb");
    cr_assert_str_eq(match_str(t, "{\"source\":\"misp\"}"), "");
    route_table_free(t);
}

Test(route_match, equality_on_numbers_booleans_and_lists)
{
    struct route_table *t = build_ok(
        "[route int]\nmatch.fields.ticket_lifetime_hours = 87600\nnotebooks = i\ncontinue = true\n"
        "[route real]\nmatch.fields.score = 7.5\nnotebooks = r\ncontinue = true\n"
        "[route bool]\nmatch.fields.signed = false\nnotebooks = b\ncontinue = true\n"
        "[route list]\nmatch.fields.tags = kerberos\nnotebooks = l\ncontinue = true\n"
        "[route null]\nmatch.fields.empty = null\nnotebooks = n\ncontinue = true\n"
        "[route asreal]\nmatch.fields.ticket_lifetime_hours = 87600.0\nnotebooks = ar\n"
        "continue = true\n"
        "[route wrong]\nmatch.fields.ticket_lifetime_hours = 8760\nnotebooks = w\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "int:i real:r bool:b list:l null:n asreal:ar");
    route_table_free(t);
}

Test(route_match, regex_with_flags_and_regex_prefix)
{
    struct route_table *t = build_ok(
        "[route ci]\nmatch.fields.rule_name = ~ /golden ticket/i\nnotebooks = ci\ncontinue = true\n"
        "[route cs]\nmatch.fields.rule_name = ~ /golden ticket/\nnotebooks = cs\ncontinue = true\n"
        "[route pfx]\nmatch.title = regex:^Golden\nnotebooks = p\ncontinue = true\n"
        "[route num]\nmatch.fields.ticket_lifetime_hours = ~ /^8\\d{4}$/\nnotebooks = n\n"
        "continue = true\n"
        "[route utf]\nmatch.title = ~ /^.{13}$/\nnotebooks = u\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "ci:ci pfx:p num:n utf:u");
    /* UTF mode: "é" is one character, so 13 characters match. */
    cr_assert_str_eq(match_str(t, "{\"title\":\"Gold\xc3\xa9n ticket\"}"), "utf:u");
    route_table_free(t);
}

Test(route_match, exists_treats_null_as_absent)
{
    struct route_table *t = build_ok(
        "[route user]\nmatch.fields.user = exists\nnotebooks = u\ncontinue = true\n"
        "[route empty]\nmatch.fields.empty = exists\nnotebooks = e\ncontinue = true\n"
        "[route nothere]\nmatch.fields.nothere = exists\nnotebooks = x\ncontinue = true\n"
        "[route list]\nmatch.fields.tags = exists\nnotebooks = l\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "user:u list:l");
    route_table_free(t);
}

Test(route_match, negation_of_every_test)
{
    struct route_table *t = build_ok(
        "[route ne]\nmatch.source = != misp\nnotebooks = ne\ncontinue = true\n"
        "[route nre]\nmatch.fields.user = ! ~ /^admin/\nnotebooks = nre\ncontinue = true\n"
        "[route nex]\nmatch.fields.nothere = ! exists\nnotebooks = nex\ncontinue = true\n"
        "[route neq2]\nmatch.source = !splunk\nnotebooks = no\ncontinue = true\n"
        "[route nmiss]\nmatch.fields.nothere = ! ~ /x/\nnotebooks = nm\ncontinue = true\n"
        "[route nlist]\nmatch.fields.tags = ! kerberos\nnotebooks = nl\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "ne:ne nre:nre nex:nex nmiss:nm");
    route_table_free(t);
}

Test(route_match, all_of_is_default_and_any_of_needs_one)
{
    struct route_table *t = build_ok(
        "[route all]\nmatch.source = splunk\nmatch.fields.user = root\nnotebooks = all\n"
        "continue = true\n"
        "[route any]\nmode = any\nmatch.source = misp\nmatch.fields.user = svc_backup\n"
        "notebooks = any\ncontinue = true\n"
        "[route none]\nmode = any\nmatch.source = misp\nmatch.fields.user = root\nnotebooks = x\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "any:any");
    route_table_free(t);
}

Test(route_match, first_match_wins_unless_continue)
{
    struct route_table *t = build_ok(
        "[route one]\nmatch.source = splunk\nnotebooks = one\n"
        "[route two]\nmatch.source = splunk\nnotebooks = two\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "one:one");
    route_table_free(t);
    t = build_ok("[route one]\nmatch.source = splunk\nnotebooks = one\ncontinue = true\n"
                 "[route two]\nmatch.source = splunk\nnotebooks = two\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "one:one two:two");
    route_table_free(t);
}

Test(route_match, order_then_file_order)
{
    struct route_table *t = build_ok(
        "[route late]\norder = 20\nnotebooks = late\ncontinue = true\n"
        "[route early]\norder = -5\nnotebooks = early\ncontinue = true\n"
        "[route zero_a]\nnotebooks = za\ncontinue = true\n"
        "[route zero_b]\nnotebooks = zb\ncontinue = true\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "early:early zero_a:za zero_b:zb late:late");
    route_table_free(t);
}

Test(route_match, default_route_only_when_nothing_matched)
{
    struct route_table *t = build_ok(
        "[route fallback]\ndefault = true\nnotebooks = generic.ipynb\n"
        "[route misp]\nmatch.source = misp\nnotebooks = misp.ipynb\ncontinue = true\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "fallback:generic.ipynb");
    cr_assert_str_eq(match_str(t, "{\"source\":\"misp\"}"), "misp:misp.ipynb");
    cr_assert_eq(route_table_count(t), 2);
    cr_assert(route_table_get(t, 1)->is_default, "the default route is evaluated last");
    route_table_free(t);
}

Test(route_match, several_notebooks_make_several_jobs)
{
    struct route_table *t = build_ok(
        "[route gt]\nmatch.source = splunk\nnotebooks = a.ipynb, b.ipynb ,c.ipynb\n");
    cr_assert_str_eq(match_str(t, SPLUNK), "gt:a.ipynb gt:b.ipynb gt:c.ipynb");
    cr_assert_eq(route_table_max_jobs(t), 3);
    route_table_free(t);
}

Test(route_match, paths_with_indices_wildcards_and_quoted_names)
{
    struct route_table *t = build_ok(
        "[route idx]\nmatch.fields.tags.0 = tlp:amber\nnotebooks = idx\ncontinue = true\n"
        "[route star]\nmatch.fields.attributes.*.type = ip-dst\nnotebooks = star\ncontinue = true\n"
        "[route quoted]\nmatch.fields.\"kibana.alert.rule.name\" = dotted\nnotebooks = q\n"
        "continue = true\n"
        "[route ref]\nmatch.ref.kind = notable\nnotebooks = ref\ncontinue = true\n"
        "[route through]\nmatch.fields.attributes.type = ip-dst\nnotebooks = th\n"
        "continue = true\n"
        "[route through_ex]\nmatch.fields.attributes.value = exists\nnotebooks = te\n"
        "continue = true\n"
        "[route through_no]\nmatch.fields.attributes.type = sha256\nnotebooks = tn\n");
    cr_assert_str_eq(match_str(t, SPLUNK),
                     "idx:idx star:star quoted:q ref:ref through:th through_ex:te");
    route_table_free(t);
}

Test(route_match, array_too_small_reports_the_full_count)
{
    struct route_table *t = build_ok("[route gt]\nnotebooks = a, b, c\n");
    json_t *ev = json_loads(SPLUNK, 0, NULL);
    struct route_matcher *m = route_matcher_new(t);
    struct route_job jobs[2];
    cr_assert_eq(route_table_match(t, m, ev, jobs, 2), 3);
    cr_assert_str_eq(jobs[1].notebook, "b");
    route_matcher_free(m);
    json_decref(ev);
    route_table_free(t);
}

Test(route_match, catastrophic_regex_fails_instead_of_hanging)
{
    struct route_table *t = build_ok("[route evil]\nmatch.title = ~ /^(a+)+$/\nnotebooks = x\n");
    char ev[256];
    snprintf(ev, sizeof(ev), "{\"title\":\"%s!\"}",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    cr_assert_str_eq(match_str(t, ev), "");
    route_table_free(t);
}

static json_t *params_for(const char *ini, const char *event, int *rc, char *err)
{
    struct route_table *t = build_ok(ini);
    json_t *ev = json_loads(event, 0, NULL);
    json_t *out = NULL;
    *rc = route_params_build(route_table_get(t, 0), ev, &out, err, 256);
    json_decref(ev);
    route_table_free(t);
    return out;
}

Test(route_params, whole_path_keeps_type_text_interpolates_literals_typed)
{
    int rc;
    char err[256] = "";
    json_t *p = params_for(
        "[route p]\nnotebooks = x\n"
        "param.user = { fields.user }\n"
        "param.hours = {fields.ticket_lifetime_hours}\n"
        "param.tags = {fields.tags}\n"
        "param.ips = {fields.attributes.*.value}\n"
        "param.types = {fields.attributes.type}\n"
        "param.nothing = {fields.attributes.nothere}\n"
        "param.summary = {title} for {fields.user} ({fields.ticket_lifetime_hours}h) {{x}}\n"
        "param.limit = 50\n"
        "param.ratio = 0.5\n"
        "param.dry = false\n"
        "param.label = \"50\"\n"
        "param.word = hello world\n"
        "param.hex = 0x10\n"
        "param.huge = 1e999\n"
        "param.absent = {fields.nothere}\n",
        SPLUNK, &rc, err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(json_string_value(json_object_get(p, "user")), "svc_backup");
    cr_assert_eq(json_integer_value(json_object_get(p, "hours")), 87600);
    cr_assert(json_is_array(json_object_get(p, "tags")));
    char *ips = json_dumps(json_object_get(p, "ips"), JSON_COMPACT);
    cr_assert_str_eq(ips, "[\"a.example\",\"198.51.100.23\"]");
    free(ips);
    char *types = json_dumps(json_object_get(p, "types"), JSON_COMPACT);
    cr_assert_str_eq(types, "[\"domain\",\"ip-dst\"]");
    free(types);
    cr_assert(json_is_null(json_object_get(p, "nothing")));
    cr_assert_str_eq(json_string_value(json_object_get(p, "summary")),
                     "Golden ticket for svc_backup (87600h) {x}");
    cr_assert_eq(json_integer_value(json_object_get(p, "limit")), 50);
    cr_assert_float_eq(json_real_value(json_object_get(p, "ratio")), 0.5, 1e-9);
    cr_assert(json_is_false(json_object_get(p, "dry")));
    cr_assert_str_eq(json_string_value(json_object_get(p, "label")), "50");
    cr_assert_str_eq(json_string_value(json_object_get(p, "word")), "hello world");
    cr_assert_str_eq(json_string_value(json_object_get(p, "hex")), "0x10");
    cr_assert_str_eq(json_string_value(json_object_get(p, "huge")), "1e999");
    cr_assert(json_is_null(json_object_get(p, "absent")));
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "nbsoar_event"),
                                                       "id")), "n1");
    /* Config order is kept (papermill injects in this order), event last. */
    const char *first = json_object_iter_key(json_object_iter(p));
    cr_assert_str_eq(first, "user");
    json_decref(p);
}

Test(route_params, missing_path_is_an_error_when_asked)
{
    int rc;
    char err[256] = "";
    json_t *p = params_for("[route p]\nnotebooks = x\nparam_missing = error\n"
                           "param.src = {fields.src_ip}\n", SPLUNK, &rc, err);
    cr_assert_eq(rc, -1);
    cr_assert_null(p);
    cr_assert_str_eq(err, "route p: param.src: the event has no fields.src_ip");
}

/* Build errors: every message names file:line, the route and the key. */
static char *first_error(const char *ini)
{
    struct route_errors errs = {0};
    struct route_table *t = build(ini, &errs);
    cr_assert_null(t, "table should not build");
    cr_assert_geq(errs.n, 1);
    static char msg[1024];
    snprintf(msg, sizeof(msg), "%s", errs.items[0].msg);
    route_errors_free(&errs);
    return msg;
}

Test(route_errors, bad_regex_shows_pattern_offset_and_message)
{
    cr_assert_str_eq(first_error("[route gt]\nnotebooks = a\n"
                                 "match.fields.rule_name = ~ /golden (ticket/i\n"),
                     "t.conf:3: [route gt] match.fields.rule_name: bad regex /golden (ticket/ "
                     "at offset 14: missing closing parenthesis");
}

Test(route_errors, unknown_key_and_bad_values_name_file_and_line)
{
    cr_assert(strstr(first_error("[route a]\nnotebooks = a\nmatchh.source = x\n"),
                     "t.conf:3: [route a] matchh.source: unknown key") != NULL);
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nmatch.feilds.src = x\n"),
                     "t.conf:3: [route a] match.feilds.src: path 'feilds.src': must start with "
                     "id, source, type, time, title, fields, raw or ref");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\ntimeout = soon\n"),
                     "t.conf:3: [route a] timeout: 'soon' is not a duration "
                     "(500ms, 30s, 10m, 1h or seconds)");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\norder = first\n"),
                     "t.conf:3: [route a] order: 'first' is not a whole number");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nmode = most\n"),
                     "t.conf:3: [route a] mode: 'most': write all or any");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nmatch.source = ~ /x/q\n"),
                     "t.conf:3: [route a] match.source: '~ /x/q': unknown regex flag 'q' "
                     "(i m s x)");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nparam.class = 1\n"),
                     "t.conf:3: [route a] param.class: 'class' is not a Python variable name");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nparam.x = {title\n"),
                     "t.conf:3: [route a] param.x: '{title': '{' without a path and '}' "
                     "(write {{ for a brace)");
    cr_assert_str_eq(first_error("[route a]\nnotebooks = a\nretries = 2\nretries = 3\n"),
                     "t.conf:4: [route a] retries: given twice (first at line 3)");
}

Test(route_errors, route_level_mistakes)
{
    cr_assert_str_eq(first_error("[route a]\nmatch.source = x\n"),
                     "t.conf:1: [route a] no notebooks: add notebooks = playbook.ipynb");
    cr_assert_str_eq(first_error("[route d]\ndefault = true\nmatch.source = x\nnotebooks = g\n"),
                     "t.conf:1: [route d] a default route takes no match.* keys: it runs "
                     "when no other route matched");
    cr_assert_str_eq(first_error("[route d]\ndefault = true\nnotebooks = g\n"
                                 "[route e]\ndefault = true\nnotebooks = g\n"),
                     "t.conf:4: [route e] a second default route (the first is [route d] "
                     "at line 1)");
}

Test(route_errors, all_errors_are_collected_at_once)
{
    struct route_errors errs = {0};
    struct route_table *t = build("[route a]\nnotebooks = a\nmatch.x = y\ntimeout = z\n"
                                  "[route b]\nnotebooks = b\nretries = -1\n", &errs);
    cr_assert_null(t);
    cr_assert_eq(errs.n, 3);
    cr_assert_str_eq(errs.items[2].file, "t.conf");
    cr_assert_eq(errs.items[2].line, 7);
    cr_assert_str_eq(errs.items[2].msg + errs.items[2].text_off,
                     "[route b] retries: '-1': write a number of retries from 0 to 1000");
    route_errors_free(&errs);
}

Test(route_match, policy_keys_are_kept)
{
    struct route_table *t = build_ok(
        "[route p]\nnotebooks = x\nexecutor = hub\nsinks = thehive-prod, file\n"
        "timeout = 10m\nretries = 3\nbackoff = 500ms\nbackoff_max = 1h\n");
    const struct route *r = route_table_get(t, 0);
    cr_assert_str_eq(r->executor, "hub");
    cr_assert_eq(r->n_sinks, 2);
    cr_assert_str_eq(r->sinks[1], "file");
    cr_assert_eq(r->timeout_ms, 600000);
    cr_assert_eq(r->retries, 3);
    cr_assert_eq(r->backoff_ms, 500);
    cr_assert_eq(r->backoff_max_ms, 3600000);
    route_table_free(t);
}

Test(route_match, many_routes_across_bitmap_words_keep_order_and_guards)
{
    /* 130 routes over three 64-bit words, guards on two sources, any-of
     * routes without a guard in between. */
    static char ini[32768];
    size_t len = 0;
    for (int i = 0; i < 130; i++) {
        static const char *const bodies[] = {
            "match.source = splunk\n", "match.source = misp\n",
            "mode = any\nmatch.source = nope\nmatch.title = ~ /ticket/\n"};
        const char *body = bodies[i % 3];
        len += (size_t)snprintf(ini + len, sizeof(ini) - len,
                                "[route r%d]\n%snotebooks = n%d\ncontinue = true\n", i, body, i);
    }
    snprintf(ini + len, sizeof(ini) - len, "[route d]\ndefault = true\nnotebooks = d\n");
    struct route_table *t = build_ok(ini);
    char expect[4096] = "";
    for (int i = 0; i < 130; i++) {
        if (i % 3 == 1)
            continue;
        char one[32];
        snprintf(one, sizeof(one), "%sr%d:n%d", expect[0] ? " " : "", i, i);
        strcat(expect, one);
    }
    json_t *ev = json_loads(SPLUNK, 0, NULL);
    struct route_matcher *m = route_matcher_new(t);
    struct route_job jobs[200];
    size_t n = route_table_match(t, m, ev, jobs, 200);
    char got[4096] = "";
    for (size_t i = 0; i < n; i++) {
        char one[32];
        snprintf(one, sizeof(one), "%s%s:%s", i ? " " : "", jobs[i].route->name,
                 jobs[i].notebook);
        strcat(got, one);
    }
    cr_assert_str_eq(got, expect);
    /* Nothing matches: only the default route, which sits in the last word. */
    json_t *none = json_loads("{\"source\":\"edr\",\"title\":\"x\"}", 0, NULL);
    cr_assert_eq(route_table_match(t, m, none, jobs, 200), 1);
    cr_assert_str_eq(jobs[0].route->name, "d");
    json_decref(none);
    json_decref(ev);
    route_matcher_free(m);
    route_table_free(t);
}

Test(route_match, literal_regex_is_a_substring_search)
{
    struct route_table *t = build_ok(
        "[route lit]\nmatch.fields.tags = ~ /misp-galaxy:ransomware=\"LockBit\"/\nnotebooks = l\n"
        "continue = true\n"
        "[route ci]\nmatch.fields.tags = ~ /LOCKBIT/i\nnotebooks = c\ncontinue = true\n"
        "[route empty]\nmatch.title = regex:\nnotebooks = e\n");
    cr_assert_str_eq(match_str(t, "{\"title\":\"\",\"fields\":{\"tags\":[\"tlp:white\","
                                  "\"misp-galaxy:ransomware=\\\"LockBit\\\"\"]}}"),
                     "lit:l ci:c empty:e");
    cr_assert_str_eq(match_str(t, "{\"title\":\"\",\"fields\":{\"tags\":[\"lockbit\"]}}"),
                     "ci:c empty:e");
    route_table_free(t);
}

Test(route_conf, routes_come_from_the_config_file_with_its_diagnostics)
{
    const char *text =
        "[host]\nworkers = 2\n\n"
        "[route golden-ticket]\norder = 10\n"
        "match.fields.rule_name = ~ /golden ticket/i\nnotebooks = gt.ipynb\n\n"
        "[route fallback]\ndefault = true\nnotebooks = generic.ipynb\n";
    struct diags d = {0};
    struct conf *c = conf_parse("nbsoar.conf", text, &d);
    cr_assert_not_null(c);
    struct route_table *t = route_table_from_conf(c, &d);
    cr_assert_eq(diags_count(&d), 0);
    cr_assert_not_null(t);
    cr_assert_str_eq(match_str(t, SPLUNK), "golden-ticket:gt.ipynb");
    cr_assert_str_eq(route_table_get(t, 0)->file, "nbsoar.conf");
    route_table_free(t);
    conf_free(c);

    c = conf_parse("nbsoar.conf", "[route bad]\nnotebooks = x\nmatch.title = ~ /(/\n", &d);
    cr_assert_null(route_table_from_conf(c, &d));
    cr_assert_eq(diags_count(&d), 1);
    cr_assert_str_eq(d.items[0].msg, "nbsoar.conf:3: [route bad] match.title: bad regex /(/ at "
                                     "offset 1: missing closing parenthesis");
    cr_assert_eq(d.items[0].line, 3);
    diags_free(&d);
    conf_free(c);
}
