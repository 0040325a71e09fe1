/* nbsoar cortex refuses a broken job before any kernel starts: input.json
 * that is not JSON, lacks fields or has wrong types, TLP/PAP above the
 * ceilings, unsupported locations.  Each gives {success: false} with a
 * message naming the field, exit 1, and the token nowhere in the report. */
#include <criterion/criterion.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>

#include "test_files.h"

extern char **environ;

#define TOKEN "tok-SECRET-0123456789abcdef"

/* A good responder job for a task; each case below breaks one thing. */
static const char *const good =
    "{\"data\": {\"_id\": \"~4001\", \"id\": \"~4001\", \"_type\": \"case_task\", \"title\": \"Triage\","
    "  \"description\": \"mentions " TOKEN " by mistake\", \"case\": {\"id\": \"~1001\", \"title\": \"c\"}},"
    " \"dataType\": \"thehive:case_task\", \"tlp\": 2, \"pap\": 2, \"message\": \"\","
    " \"parameters\": {\"organisation\": \"soc\", \"user\": \"analyst@thehive.local\"},"
    " \"config\": {\"input_hostname\": \"/nonexistent/notebooks/\", \"input_paths\": [\"a.ipynb\"],"
    "  \"input_handler_http_service_api_token\": \"" TOKEN "\", \"input_handler_http_is_jupyterhub\": true,"
    "  \"input_handler_http_execute_remotely\": false, \"output_hostname\": \"/nonexistent/out\","
    "  \"output_handler_http_service_api_token\": \"" TOKEN "\", \"output_handler_http_is_jupyterhub\": true,"
    "  \"output_folder\": \"/\", \"any_handler_http_user\": null, \"check_tlp\": true, \"max_tlp\": 2,"
    "  \"check_pap\": true, \"max_pap\": 2, \"proxy\": {\"http\": null, \"https\": null}}}";

struct bad_case {
    const char *name;
    const char *path;   /* dotted path to change in the good job, or NULL: `value` is the whole text */
    const char *value;  /* JSON text for the new value; NULL deletes the field */
    const char *expect; /* in errorMessage */
};

static const struct bad_case cases[] = {
    {"not_json", NULL, "{\"data\": {\"id\": 1}, \"config\": ", "input.json is not JSON: line 1"},
    {"array", NULL, "[1, 2]", "input.json must hold a JSON object, not a list"},
    {"no_config", "config", NULL, "config is missing"},
    {"config_string", "config", "\"x\"", "config must be an object, not a string"},
    {"no_data_type", "dataType", NULL, "dataType is missing"},
    {"no_data", "data", NULL, "data is missing"},
    {"data_string", "data", "\"~4001\"", "data must be the TheHive object, a JSON object, not a string"},
    {"tlp_string", "tlp", "\"2\"", "tlp must be an integer from 0 to 4, not a string"},
    {"tlp_above", "tlp", "3", "TLP is higher than allowed (the job's TLP is 3, config.max_tlp is 2)"},
    {"pap_above", "pap", "3", "PAP is higher than allowed (the job's PAP is 3, config.max_pap is 2)"},
    {"paths_string", "config.input_paths", "\"a.ipynb\"", "config.input_paths must be a list of notebook paths"},
    {"paths_empty", "config.input_paths", "[]", "config.input_paths is missing"},
    {"paths_number", "config.input_paths", "[\"a.ipynb\", 7]", "config.input_paths[1] must be a non-empty string"},
    {"paths_climb", "config.input_paths", "[\"../etc/x.ipynb\"]", "must not climb out"},
    {"paths_absolute", "config.input_paths", "[\"/etc/x.ipynb\"]", "must be relative"},
    {"no_input_host", "config.input_hostname", NULL, "config.input_hostname is missing"},
    {"output_host_number", "config.output_hostname", "5", "config.output_hostname must be a string, not an integer"},
    {"hub_flag_string", "config.input_handler_http_is_jupyterhub", "\"yes\"",
     "config.input_handler_http_is_jupyterhub must be true or false, not a string"},
    {"http_without_token", "config.input_hostname", "\"http://hub.example:8000/\"", "config.input_handler_http_service_api_token is needed"},
    {"hub_without_user", "config.output_hostname", "\"https://hub.example/\"", "config.any_handler_http_user is needed"},
    {"s3", "config.input_hostname", "\"s3://bucket/notebooks/\"", "s3:// locations are not supported"},
    {"unknown_type", "dataType", "\"thehive:case_template\"", "is not one this responder handles"},
    {"task_without_case", "data.case", NULL, "data.case is missing"},
    {"parameters_list", "parameters", "[]", "parameters must be an object, not a list"},
    {"organisation_number", "parameters.organisation", "1", "parameters.organisation must be a string"},
    {"http_local_kernels", "config.input_hostname", "\"http://hub.example:8000/\"",
     "config.input_handler_http_execute_remotely is false"},
    {"http_output_local_input", "config.output_hostname", "\"http://hub.example:8000/\"",
     "writing to a server is available only for notebooks that run there"},
    {"http_two_servers", "config.input_hostname", "\"http://one.example:8000/\"",
     "config.output_hostname must be the same Jupyter server as config.input_hostname"},
};
#define N_CASES (sizeof cases / sizeof cases[0])

/* The good job with one change, as text (OWNED). */
static char *mutate(const struct bad_case *c)
{
    if (!c->path)
        return strdup(c->value);
    json_t *doc = json_loads(good, 0, NULL);
    cr_assert_not_null(doc);
    char *path = strdup(c->path);
    json_t *parent = doc;
    char *key = path, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = '\0';
        parent = json_object_get(parent, key);
        key = dot + 1;
    }
    if (c->value)
        json_object_set_new(parent, key, json_loads(c->value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(parent, key);
    /* without config the token is nobody's secret: leave it out of data too */
    if (strcmp(c->path, "config") == 0)
        json_object_del(json_object_get(doc, "data"), "description");
    /* the http case needs its token gone to be refused */
    if (strcmp(c->name, "http_without_token") == 0)
        json_object_set_new(json_object_get(doc, "config"), "input_handler_http_service_api_token", json_null());
    json_t *config = json_object_get(doc, "config");
    if (strncmp(c->name, "http_", 5) == 0)
        json_object_set_new(config, "any_handler_http_user", json_string("svc"));
    if (strcmp(c->name, "http_two_servers") == 0) {
        json_object_set_new(config, "input_handler_http_execute_remotely", json_true());
        json_object_set_new(config, "output_hostname", json_string("http://two.example:8000/"));
    }
    if (strcmp(c->name, "hub_without_user") == 0)
        json_object_del(json_object_get(doc, "config"), "any_handler_http_user");
    char *text = json_dumps(doc, 0);
    json_decref(doc);
    free(path);
    return text;
}

Test(cortex_input, broken_jobs_fail_clearly_without_the_token, .timeout = 60)
{
    char *dir = test_tmpdir("cortex-input");
    const char *bin = getenv("NBSOAR_BIN");
    cr_assert_not_null(bin);
    pid_t pids[N_CASES];
    char *dirs[N_CASES];
    for (size_t i = 0; i < N_CASES; i++) {
        char *text = mutate(&cases[i]), *in = NULL;
        cr_assert(asprintf(&dirs[i], "%s/%s", dir, cases[i].name) > 0 && asprintf(&in, "%s/input", dirs[i]) > 0);
        cr_assert_eq(mkdir(dirs[i], 0700), 0);
        cr_assert_eq(mkdir(in, 0700), 0);
        free(in);
        cr_assert(asprintf(&in, "%s/input/input.json", dirs[i]) > 0);
        FILE *f = fopen(in, "w");
        fputs(text, f);
        fclose(f);
        free(in);
        free(text);
        char *argv[] = {(char *)bin, "--log-level", "error", "cortex", dirs[i], NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01, 0);
        cr_assert_eq(posix_spawn(&pids[i], bin, &fa, NULL, argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
    }
    for (size_t i = 0; i < N_CASES; i++) {
        int st;
        cr_assert_eq(waitpid(pids[i], &st, 0), pids[i]);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "%s: exit status %d", cases[i].name, st);
        char path[1024], text[65536];
        snprintf(path, sizeof path, "%s/output/output.json", dirs[i]);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "%s: no output.json", cases[i].name);
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        cr_assert_null(strstr(text, TOKEN), "%s: the token leaked: %s", cases[i].name, text);
        json_t *r = json_loads(text, 0, NULL);
        cr_assert_not_null(r, "%s: output.json is not JSON", cases[i].name);
        cr_assert(json_is_false(json_object_get(r, "success")), "%s", cases[i].name);
        const char *msg = json_string_value(json_object_get(r, "errorMessage"));
        cr_assert(msg && strstr(msg, cases[i].expect), "%s: errorMessage \"%s\" lacks \"%s\"", cases[i].name,
                  msg ? msg : "(none)", cases[i].expect);
        json_t *input = json_object_get(r, "input");
        if (cases[i].path && json_is_object(json_object_get(input, "config"))) {
            const char *masked = json_string_value(
                json_object_get(json_object_get(input, "config"), "output_handler_http_service_api_token"));
            cr_assert_str_eq(masked ? masked : "", "REMOVED", "%s: the token is masked in the echoed input",
                             cases[i].name);
        }
        json_decref(r);
        free(dirs[i]);
    }
    test_rmtree(dir);
    free(dir);
}

Test(cortex_input, no_job_folder_and_a_terminal_less_empty_stdin_is_refused)
{
    const char *bin = getenv("NBSOAR_BIN");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s --log-level error cortex /nonexistent-job </dev/null 2>/dev/null", bin);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    cr_assert_eq(WEXITSTATUS(st), 1);
    cr_assert_not_null(strstr(out, "\"success\":false"), "%s", out);
    cr_assert_not_null(strstr(out, "stdin is not JSON"), "%s", out);
}

Test(cortex_input, the_descriptor_command_runs_nbsoar_cortex_on_the_job_folder)
{
    char *dir = test_tmpdir("cortex-command");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/input && echo '{\"dataType\": 1}' > %s/input/input.json && "
                              "NBSOAR=%s %s/thehive/cortex/responders/Jupyter_nbsoar/nbsoar_cortex.sh %s 2>/dev/null",
             dir, dir, getenv("NBSOAR_BIN"), getenv("NBSOAR_SOURCE_ROOT"), dir);
    int st = system(cmd);
    cr_assert_eq(WEXITSTATUS(st), 1);
    char *out = test_read_file(dir, "output/output.json");
    cr_assert_not_null(out, "the process runner's job folder gets output/output.json");
    cr_assert_not_null(strstr(out, "\"success\":false"), "%s", out);
    free(out);
    test_rmtree(dir);
    free(dir);
}
