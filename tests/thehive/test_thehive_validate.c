/* Unit tests of the thehive sink's operation checks and target resolution
 * (no server involved). */
#include <criterion/criterion.h>
#include <string.h>

#include "thehive.h"

struct case_ {
    const char *op;      /* operation JSON */
    int ok;              /* 1: must validate */
    const char *expect;  /* substring of the error (or NULL) */
};

static const struct case_ cases[] = {
    {"{\"type\":\"AddTagToCase\",\"tag\":\"a:b\"}", 1, NULL},
    {"{\"type\":\"AddTagToCase\"}", 0, "AddTagToCase: field \"tag\" is required"},
    {"{\"type\":\"AddTagToCase\",\"tag\":\"\"}", 0, "field \"tag\" must be a non-empty string"},
    {"{\"type\":\"AddTagToArtifact\",\"tag\":[\"x\"]}", 0, "not [\"x\"]"},
    {"{\"type\":\"AddTagToAlert\",\"tag\":null}", 0, "\"tag\" is required"},
    {"{\"type\":\"MarkAlertAsRead\"}", 1, NULL},
    {"{\"type\":\"AddCustomFields\",\"name\":\"risk\",\"value\":\"High\",\"tpe\":\"string\"}", 1, NULL},
    {"{\"type\":\"AddCustomFields\",\"name\":\"score\",\"value\":7}", 1, NULL},
    {"{\"type\":\"AddCustomFields\",\"name\":\"risk\"}", 0, "field \"value\" is required"},
    {"{\"type\":\"AddCustomFields\",\"value\":1}", 0, "field \"name\" is required"},
    {"{\"type\":\"AddCustomFields\",\"name\":\"r\",\"value\":{\"a\":1}}", 0, "a string, number or boolean"},
    {"{\"type\":\"AddCustomFields\",\"name\":\"r\",\"value\":\"7\",\"tpe\":\"integer\"}", 0,
     "field \"value\" \"7\" does not match \"tpe\" \"integer\""},
    {"{\"type\":\"AddCustomFields\",\"name\":\"r\",\"value\":true,\"tpe\":\"boolean\"}", 1, NULL},
    {"{\"type\":\"CreateTask\",\"title\":\"T\",\"description\":\"\"}", 1, NULL},
    {"{\"type\":\"CreateTask\",\"title\":\"T\"}", 0, "CreateTask: field \"description\" is required"},
    {"{\"type\":\"CreateTask\",\"description\":\"d\"}", 0, "field \"title\" is required"},
    {"{\"type\":\"CloseTask\"}", 1, NULL},
    {"{\"type\":\"AddLogToTask\",\"content\":\"c\",\"owner\":\"x@y\"}", 1, NULL},
    {"{\"type\":\"AddLogToTask\",\"message\":\"c\"}", 0, "field \"content\" is required"},
    {"{\"type\":\"AddLogToTask\",\"content\":\"c\",\"owner\":5}", 0, "field \"owner\" must be a string"},
    {"{\"type\":\"AssignCase\",\"owner\":\"a@b\"}", 1, NULL},
    {"{\"type\":\"AssignCase\",\"assignee\":\"a@b\"}", 0, "field \"owner\" is required"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1.2.3.4\",\"message\":\"m\"}", 1, NULL},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1.2.3.4\"}", 0,
     "field \"message\" is required"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"dataMessage\":\"m\"}", 0,
     "field \"message\" is required"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"tlp\":5}", 0,
     "field \"tlp\" must be an integer from 0 (white) to 4 (red), not 5"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"tlp\":\"2\"}", 0,
     "field \"tlp\""},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"ioc\":\"yes\"}", 0,
     "field \"ioc\" must be true or false"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"sighted\":1}", 0,
     "field \"sighted\""},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"tags\":[\"a\",3]}", 0,
     "field \"tags\" must be an array of non-empty strings"},
    {"{\"type\":\"AddArtifactToCase\",\"dataType\":\"ip\",\"data\":\"1\",\"message\":\"m\",\"tlp\":0,"
     "\"ioc\":false,\"sighted\":true,\"tags\":[],\"ignoreSimilarity\":true}", 1, NULL},
    {"{\"type\":\"AddTagToCase\",\"tag\":\"t\",\"caseId\":\"\"}", 0, "field \"caseId\" must be a non-empty string"},
    {"{\"type\":\"AddTagToCase\",\"tag\":\"t\",\"caseId\":12}", 0, "field \"caseId\""},
    {"{\"type\":\"RunAnalyzer\"}", 0, "unknown operation type \"RunAnalyzer\""},
    {"{\"tag\":\"x\"}", 0, "operation has no \"type\""},
    {"[1]", 0, "operation is not a JSON object"},
};

/* One loop rather than parameterized tests: Criterion re-executes the
 * binary per test, so pointers in parameters would not survive. */
Test(thehive_validate, operation_fields_checked_like_thehive_model)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct case_ *c = &cases[i];
        json_t *op = json_loads(c->op, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(op, "%s", c->op);
        char err[512] = "";
        enum th_op kind;
        int rc = th_validate(op, &kind, err, sizeof(err));
        if (c->ok)
            cr_expect_eq(rc, NBSOAR_OK, "%s: %s", c->op, err);
        else
            cr_expect_eq(rc, NBSOAR_ERROR, "%s validated", c->op);
        if (c->expect != NULL)
            cr_expect(strstr(err, c->expect) != NULL, "%s: got \"%s\", want \"%s\"", c->op, err,
                      c->expect);
        json_decref(op);
    }
}

Test(thehive_validate, every_operation_type_is_listed_once)
{
    int n = 0;
    for (const char *const *name = th_operation_names; *name; name++, n++)
        cr_assert_str_eq(*name, th_op_name((enum th_op)n));
    cr_assert_eq(n, TH_OP_COUNT);
}

/* th_target_resolve for op on an event; returns the id or the error. */
static int resolve(enum th_op op, const char *op_json, const char *event_json, char *out, size_t outlen)
{
    json_t *o = json_loads(op_json, 0, NULL);
    json_t *e = event_json ? json_loads(event_json, 0, NULL) : NULL;
    char err[512] = "";
    char id[128] = "";
    int rc = th_target_resolve(op, o, e, id, sizeof(id), err, sizeof(err));
    snprintf(out, outlen, "%s", rc == NBSOAR_OK ? id : err);
    json_decref(o);
    json_decref(e);
    return rc;
}

#define REF(kind, extra) "{\"ref\":{\"system\":\"thehive\",\"kind\":\"" kind "\",\"id\":\"~9\"" extra "}}"

Test(thehive_target, case_operations_find_the_case_of_each_kind)
{
    char out[512];
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_CASE, "{}", REF("case", ""), out, sizeof(out)), NBSOAR_OK);
    cr_assert_str_eq(out, "~9");
    resolve(TH_OP_ADD_TAG_TO_CASE, "{}", REF("case_artifact", ",\"case_id\":\"~1\""), out, sizeof(out));
    cr_assert_str_eq(out, "~1");
    resolve(TH_OP_CREATE_TASK, "{}", REF("case_task", ",\"case_id\":\"~2\""), out, sizeof(out));
    cr_assert_str_eq(out, "~2");
    /* TheHive 4's JSON as Cortex hands it: a log carries case_task.case. */
    resolve(TH_OP_ASSIGN_CASE, "{}",
            "{\"ref\":{\"system\":\"thehive\",\"kind\":\"case_task_log\",\"id\":\"~9\"},"
            "\"raw\":{\"case_task\":{\"id\":\"~7\",\"case\":{\"_id\":\"~3\"}}}}", out, sizeof(out));
    cr_assert_str_eq(out, "~3");
    resolve(TH_OP_ADD_TAG_TO_CASE, "{}",
            "{\"ref\":{\"system\":\"thehive\",\"kind\":\"case_artifact\",\"id\":\"~9\"},"
            "\"raw\":{\"case\":{\"id\":\"~4\"}}}", out, sizeof(out));
    cr_assert_str_eq(out, "~4");
    resolve(TH_OP_ADD_TAG_TO_CASE, "{}", "{\"ref\":{\"system\":\"thehive\",\"kind\":\"case\",\"id\":45}}",
            out, sizeof(out));
    cr_assert_str_eq(out, "45", "a case number as an integer");
}

Test(thehive_target, alerts_have_no_case_and_only_tasks_or_logs_have_a_task)
{
    char out[512];
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_CASE, "{}", REF("alert", ""), out, sizeof(out)), NBSOAR_ERROR);
    cr_assert(strstr(out, "unable to apply action AddTagToCase without case"), "%s", out);
    cr_assert_eq(resolve(TH_OP_CLOSE_TASK, "{}", REF("case", ""), out, sizeof(out)), NBSOAR_ERROR);
    cr_assert(strstr(out, "without task") && strstr(out, "\"taskId\""), "%s", out);
    cr_assert_eq(resolve(TH_OP_CLOSE_TASK, "{}", REF("case_task", ""), out, sizeof(out)), NBSOAR_OK);
    cr_assert_eq(resolve(TH_OP_ADD_LOG_TO_TASK, "{}", REF("case_task_log", ",\"task_id\":\"~5\""), out,
                         sizeof(out)), NBSOAR_OK);
    cr_assert_str_eq(out, "~5");
    cr_assert_eq(resolve(TH_OP_MARK_ALERT_AS_READ, "{}", REF("case", ""), out, sizeof(out)), NBSOAR_ERROR);
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_ARTIFACT, "{}", REF("case_task", ""), out, sizeof(out)),
                 NBSOAR_ERROR);
    cr_assert(strstr(out, "without observable"), "%s", out);
}

Test(thehive_target, explicit_ids_win_and_other_systems_need_them)
{
    char out[512];
    resolve(TH_OP_ADD_TAG_TO_CASE, "{\"caseId\":\"~77\"}", REF("case", ""), out, sizeof(out));
    cr_assert_str_eq(out, "~77");
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_ALERT, "{}",
                         "{\"ref\":{\"system\":\"splunk\",\"kind\":\"notable\",\"id\":\"x\"}}", out,
                         sizeof(out)), NBSOAR_ERROR);
    cr_assert(strstr(out, "not a TheHive object (event.ref.system is \"splunk\")"), "%s", out);
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_ALERT, "{\"alertId\":\"~1\"}", NULL, out, sizeof(out)), NBSOAR_OK);
    cr_assert_eq(resolve(TH_OP_ADD_TAG_TO_CASE, "{\"caseId\":\"a\\nb\"}", NULL, out, sizeof(out)),
                 NBSOAR_ERROR, "control characters refused");
}

Test(thehive_target, ids_are_escaped_for_the_path)
{
    char out[64];
    cr_assert_eq(th_escape_id("~123", out, sizeof(out)), 0);
    cr_assert_str_eq(out, "~123");
    cr_assert_eq(th_escape_id("../a b?c#d", out, sizeof(out)), 0);
    cr_assert_str_eq(out, "..%2Fa%20b%3Fc%23d");
    cr_assert_eq(th_escape_id("abcdef", out, 4), -1);
}
