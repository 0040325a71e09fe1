/* nbsoar cortex end to end: Cortex job folders built from TheHive 4's JSON
 * (tests/cortex/data) run on real ipykernels with the notebooks of
 * tests/cortex/notebooks; broken jobs fail with a clear message and no
 * secret.  Jobs that start kernels run at once to keep the suite short. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <jansson.h>
#include <time.h>
#include <unistd.h>

#include "test_files.h"

extern char **environ;

#define TOKEN "tok-SECRET-0123456789abcdef"

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static char *notebooks_dir(void)
{
    char *p = NULL;
    cr_assert(asprintf(&p, "%s/tests/cortex/notebooks/", env_or("NBSOAR_SOURCE_ROOT", ".")) > 0);
    return p;
}

/* {dataType, data} of tests/cortex/data/<name>.json. */
static json_t *load_data(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/cortex/data/%s.json", env_or("NBSOAR_SOURCE_ROOT", "."), name);
    json_error_t je;
    json_t *d = json_load_file(path, 0, &je);
    cr_assert_not_null(d, "%s: %s", path, je.text);
    return d;
}

/* input.json as Cortex 3 builds it for a TheHive 4 responder job, with the
 * responder descriptor's config block and the ten configuration items. */
static json_t *make_input(const char *data_name, const char *out_dir, json_t *paths)
{
    json_t *in = load_data(data_name);
    char *nbs = notebooks_dir();
    json_t *config = json_pack(
        "{s:s, s:s, s:b, s:b, s:o, s:s, s:s, s:b, s:s, s:s, s:b, s:i, s:b, s:i, s:n, s:n, s:n, s:i, "
        "s:{s:n, s:n}}",
        "input_hostname", nbs, "input_handler_http_service_api_token", TOKEN, "input_handler_http_is_jupyterhub", 1,
        "input_handler_http_execute_remotely", 0, "input_paths", paths, "output_hostname", out_dir,
        "output_handler_http_service_api_token", TOKEN, "output_handler_http_is_jupyterhub", 1, "output_folder",
        "cortex/%Y", "any_handler_http_user", "service", "check_tlp", 1, "max_tlp", 4, "check_pap", 1, "max_pap", 3,
        "proxy_http", "proxy_https", "cacerts", "jobTimeout", 30, "proxy", "http", "https");
    free(nbs);
    json_object_set_new(in, "tlp", json_integer(2));
    json_object_set_new(in, "pap", json_integer(2));
    json_object_set_new(in, "message", json_string(""));
    json_object_set_new(in, "parameters", json_pack("{s:s, s:s}", "organisation", "soc", "user", "analyst@thehive.local"));
    json_object_set_new(in, "config", config);
    return in;
}

/* A job folder under dir holding input/input.json. */
static char *job_dir(const char *dir, const char *name, const json_t *input)
{
    char *jd = NULL, *in = NULL;
    cr_assert(asprintf(&jd, "%s/%s", dir, name) > 0 && asprintf(&in, "%s/input", jd) > 0);
    cr_assert_eq(mkdir(jd, 0700), 0);
    cr_assert_eq(mkdir(in, 0700), 0);
    free(in);
    if (input) {
        char *f = NULL;
        cr_assert(asprintf(&f, "%s/input/input.json", jd) > 0);
        cr_assert_eq(json_dump_file(input, f, JSON_INDENT(1)), 0);
        free(f);
    }
    return jd;
}

/* Starts `nbsoar cortex JOB_DIR [extra]` with stdin from in_file (NULL:
 * /dev/null) and stdout to out_file (NULL: /dev/null). */
static pid_t start(const char *jd, const char *extra, const char *in_file, const char *out_file)
{
    const char *bin = env_or("NBSOAR_BIN", "nbsoar");
    char *argv[] = {(char *)bin, "--log-level", "error", "cortex", (char *)jd, (char *)extra, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in_file ? in_file : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_file ? out_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot run %s", bin);
    return pid;
}

static int finish(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st), "nbsoar cortex died");
    return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s is missing", path);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* JOB_DIR/output/output.json, checked for the token. */
static json_t *report_of(const char *jd)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/output/output.json", jd);
    char *text = slurp(path);
    cr_assert_null(strstr(text, TOKEN), "the token leaked into the report: %s", text);
    json_t *r = json_loads(text, 0, NULL);
    cr_assert_not_null(r, "output.json is not JSON: %s", text);
    free(text);
    return r;
}

static const char *report_error(const json_t *r)
{
    const char *m = json_string_value(json_object_get(r, "errorMessage"));
    return m ? m : "";
}

static int has_op(const json_t *ops, const char *type, const char *key, const char *value)
{
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        const char *v = json_string_value(json_object_get(o, key));
        if (t && strcmp(t, type) == 0 && (!key || (v && strcmp(v, value) == 0)))
            return 1;
    }
    return 0;
}

static char *year_folder(const char *out)
{
    char year[8], *p = NULL;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(year, sizeof year, "%Y", &tm);
    cr_assert(asprintf(&p, "%s/cortex/%s", out, year) > 0);
    return p;
}

static void expect_file(const char *folder, const char *name)
{
    char path[2048];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", folder, name);
    cr_assert_eq(stat(path, &st), 0, "output notebook %s is missing", path);
}

/* The responder README's example (reference 1.7), as TheHive receives it. */
static const char *const readme_ops[] = {
    "{\"type\": \"AddTagToArtifact\", \"tag\": \"mytagtoartifact:mypredicate\"}",
    "{\"type\": \"AddTagToCase\", \"tag\": \"mytagtocase:mypredicate\"}",
    "{\"type\": \"MarkAlertAsRead\"}",
    "{\"type\": \"AddCustomFields\", \"name\": \"risk\", \"value\": \"High\", \"tpe\": \"string\"}",
    "{\"type\": \"AddTagToAlert\", \"tag\": \"mytagtoalert:mypredicate\"}",
    "{\"type\": \"CreateTask\", \"title\": \"Malware analysis\", "
    "\"description\": \"Analyze the payload to check if it's malicious or not\"}",
    "{\"type\": \"CloseTask\"}",
    "{\"type\": \"AddLogToTask\", \"content\": \"This is an automatic log!\", \"owner\": \"letmer00t@thehive.local\"}",
    "{\"type\": \"AssignCase\", \"owner\": \"letmer00t@thehive.local\"}",
    "{\"type\": \"AddArtifactToCase\", \"dataType\": \"domain\", \"data\": \"otherwebsite2.org\", "
    "\"message\": \"this is a custom description for the **otherwebsite.org** artifact\", \"tlp\": 1, "
    "\"tags\": [\"source:jupyter\", \"hello:world\"], \"ioc\": true, \"sighted\": true}",
};
#define N_README_OPS (sizeof readme_ops / sizeof readme_ops[0])

static const struct {
    const char *data, *id;
} types[] = {
    {"case", "case-1001"},
    {"alert", "alert-2001"},
    {"case_artifact", "case-1001-observable-3001"},
    {"case_task", "case-1001-task-4001"},
    {"case_task_log", "case-1001-task-4001-log-5001"},
};
#define N_TYPES (sizeof types / sizeof types[0])

Test(cortex, every_data_type_runs_and_names_its_outputs, .timeout = 240)
{
    char *dir = test_tmpdir("cortex-types");
    char *out = NULL;
    cr_assert(asprintf(&out, "%s/out", dir) > 0);
    char *jd[N_TYPES + 2];
    pid_t pid[N_TYPES + 2];
    for (size_t i = 0; i < N_TYPES; i++) {
        json_t *paths = i == 0 ? json_pack("[s, s]", "readme_operations.ipynb", "sub/nested.ipynb")
                               : json_pack("[s]", "echo.ipynb");
        json_t *in = make_input(types[i].data, out, paths);
        jd[i] = job_dir(dir, types[i].data, in);
        json_decref(in);
        pid[i] = start(jd[i], NULL, NULL, NULL);
    }
    /* a notebook that raises beside one that works */
    json_t *in = make_input("case", out, json_pack("[s, s]", "echo.ipynb", "fails.ipynb"));
    jd[N_TYPES] = job_dir(dir, "failing", in);
    json_decref(in);
    pid[N_TYPES] = start(jd[N_TYPES], NULL, NULL, NULL);
    /* stdin/stdout mode: no input/input.json in the folder */
    char *stdin_file = NULL, *stdout_file = NULL;
    in = make_input("alert", out, json_pack("[s]", "sub/nested.ipynb"));
    json_object_set_new(json_object_get(in, "config"), "output_folder", json_string("piped"));
    cr_assert(asprintf(&stdin_file, "%s/stdin.json", dir) > 0 && asprintf(&stdout_file, "%s/stdout.json", dir) > 0);
    cr_assert_eq(json_dump_file(in, stdin_file, 0), 0);
    json_decref(in);
    jd[N_TYPES + 1] = job_dir(dir, "piped", NULL);
    pid[N_TYPES + 1] = start(jd[N_TYPES + 1], NULL, stdin_file, stdout_file);

    int rc[N_TYPES + 2];
    for (size_t i = 0; i < N_TYPES + 2; i++)
        rc[i] = finish(pid[i]);

    char *folder = year_folder(out);
    for (size_t i = 0; i < N_TYPES; i++) {
        json_t *r = report_of(jd[i]);
        cr_assert_eq(rc[i], 0, "%s: %s", types[i].data, report_error(r));
        cr_assert(json_is_true(json_object_get(r, "success")), "%s", types[i].data);
        json_t *nbs = json_object_get(json_object_get(r, "full"), "notebooks");
        json_t *ops = json_object_get(r, "operations");
        char name[256], tag[512];
        if (i == 0) {
            /* the README's ten operations, then the nested notebook's one */
            cr_assert_eq(json_array_size(ops), 11, "%s", json_dumps(ops, 0));
            for (size_t k = 0; k < N_README_OPS; k++) {
                json_t *want = json_loads(readme_ops[k], 0, NULL);
                cr_assert(json_equal(json_array_get(ops, k), want), "operation %zu is not %s", k, readme_ops[k]);
                json_decref(want);
            }
            cr_assert(has_op(ops, "AddTagToCase", "tag", "sub"));
            snprintf(name, sizeof name, "%s-readme_operations.ipynb", types[i].id);
            expect_file(folder, name);
            snprintf(name, sizeof name, "sub/%s-nested.ipynb", types[i].id);
            expect_file(folder, name);
            cr_assert_str_eq(json_string_value(json_object_get(json_array_get(nbs, 1), "name")), "sub/nested.ipynb");
        } else {
            snprintf(name, sizeof name, "%s-echo.ipynb", types[i].id);
            expect_file(folder, name);
            const char *id = strrchr(types[i].id, '-') + 1;
            snprintf(tag, sizeof tag, "seen:thehive:%s:~%s:soc:analyst@thehive.local", types[i].data, id);
            cr_assert(has_op(ops, "AddTagToCase", "tag", tag), "%s: %s", tag, json_dumps(ops, 0));
        }
        json_t *nb0 = json_array_get(nbs, 0);
        cr_assert_str_eq(json_string_value(json_object_get(nb0, "status")), "succeeded");
        cr_assert(json_is_real(json_object_get(nb0, "duration")));
        cr_assert(json_is_null(json_object_get(nb0, "error")));
        cr_assert_not_null(strstr(json_string_value(json_object_get(nb0, "output_notebook")), types[i].id));
        json_decref(r);
    }

    json_t *r = report_of(jd[N_TYPES]);
    cr_assert_eq(rc[N_TYPES], 1);
    cr_assert(json_is_false(json_object_get(r, "success")));
    cr_assert_not_null(strstr(report_error(r), "1 of 2 notebooks failed"), "%s", report_error(r));
    cr_assert_not_null(strstr(report_error(r), "fails.ipynb"), "%s", report_error(r));
    cr_assert_not_null(strstr(report_error(r), "playbook broke on purpose"), "%s", report_error(r));
    expect_file(folder, "case-1001-fails.ipynb");
    json_decref(r);

    cr_assert_eq(rc[N_TYPES + 1], 0);
    char *text = slurp(stdout_file);
    r = json_loads(text, 0, NULL);
    cr_assert_not_null(r, "stdout is not one JSON document: %s", text);
    cr_assert(json_is_true(json_object_get(r, "success")), "%s", text);
    cr_assert(has_op(json_object_get(r, "operations"), "AddTagToCase", "tag", "sub"));
    char *piped = NULL;
    cr_assert(asprintf(&piped, "%s/piped/sub", out) > 0);
    expect_file(piped, "alert-2001-nested.ipynb");
    struct stat st;
    char nofile[2048];
    snprintf(nofile, sizeof nofile, "%s/output/output.json", jd[N_TYPES + 1]);
    cr_assert_neq(stat(nofile, &st), 0, "stdin mode writes no output.json");
    json_decref(r);
    free(text);
    free(piped);

    for (size_t i = 0; i < N_TYPES + 2; i++)
        free(jd[i]);
    free(stdin_file);
    free(stdout_file);
    free(folder);
    free(out);
    test_rmtree(dir);
    free(dir);
}

Test(cortex, analyzer_mode_reports_taxonomies, .timeout = 120)
{
    char *dir = test_tmpdir("cortex-analyzer");
    char *out = NULL;
    cr_assert(asprintf(&out, "%s/out", dir) > 0);
    json_t *in = make_input("case", out, json_pack("[s]", "analyzer.ipynb"));
    json_object_set_new(in, "dataType", json_string("domain"));
    json_object_set_new(in, "data", json_string("evil.example/x"));
    char *jd = job_dir(dir, "job", in);
    json_decref(in);
    int rc = finish(start(jd, "--analyzer", NULL, NULL));
    json_t *r = report_of(jd);
    cr_assert_eq(rc, 0, "%s", report_error(r));
    json_t *tax = json_object_get(json_object_get(r, "summary"), "taxonomies");
    cr_assert_eq(json_array_size(tax), 2, "%s", json_dumps(r, 0));
    json_t *t0 = json_array_get(tax, 0), *t1 = json_array_get(tax, 1);
    cr_assert_str_eq(json_string_value(json_object_get(t0, "level")), "malicious");
    cr_assert_str_eq(json_string_value(json_object_get(t0, "namespace")), "Jupyter");
    cr_assert_str_eq(json_string_value(json_object_get(t0, "value")), "domain");
    cr_assert_str_eq(json_string_value(json_object_get(t1, "level")), "info");
    cr_assert_str_eq(json_string_value(json_object_get(t1, "namespace")), "Intel");
    cr_assert_str_eq(json_string_value(json_object_get(t1, "value")), "evil.example/x");
    cr_assert(json_is_array(json_object_get(r, "artifacts")));
    cr_assert_eq(json_array_size(json_object_get(r, "operations")), 0);
    char *folder = year_folder(out);
    expect_file(folder, "evil.example_x-analyzer.ipynb");
    free(folder);
    json_decref(r);
    free(jd);
    free(out);
    test_rmtree(dir);
    free(dir);
}
