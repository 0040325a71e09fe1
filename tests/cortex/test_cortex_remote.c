/* nbsoar cortex with notebooks on a real Jupyter Server and on a real
 * JupyterHub 3.0 (the Python responder's "cortex_job" named server): read
 * through the contents API, run on the server's kernels
 * (input_handler_http_execute_remotely), written back under output_folder,
 * the token never in the report. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remote_support.h"

static char *year(void)
{
    static char y[8];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(y, sizeof y, "%Y", &tm);
    return y;
}

/* Writes JOB/input/input.json for a case job on `url`. */
static void write_job(const char *job, const char *url, const char *token, int hub, const char *user)
{
    char data[1024];
    rs_source(data, sizeof data, "tests/cortex/data/case.json");
    json_t *in = json_load_file(data, 0, NULL);
    cr_assert_not_null(in);
    json_object_set_new(in, "parameters", json_pack("{s:s, s:s}", "organisation", "soc", "user", "analyst"));
    json_object_set_new(in, "config",
                        json_pack("{s:s, s:s, s:b, s:b, s:[s, s], s:s, s:s, s:b, s:s, s:s?}", "input_hostname", url,
                                  "input_handler_http_service_api_token", token, "input_handler_http_is_jupyterhub",
                                  hub, "input_handler_http_execute_remotely", 1, "input_paths", "echo.ipynb",
                                  "sub/nested.ipynb", "output_hostname", url, "output_handler_http_service_api_token",
                                  token, "output_handler_http_is_jupyterhub", hub, "output_folder", "Cortex/%Y",
                                  "any_handler_http_user", user));
    cr_assert_eq(rs_system("mkdir -p '%s/input'", job), 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/input/input.json", job);
    cr_assert_eq(json_dump_file(in, path, 0), 0);
    json_decref(in);
}

/* Runs the job and checks the report and the two output notebooks under root. */
static void run_and_check(const char *job, const char *root, const char *token)
{
    int rc = rs_system("'%s' --log-level error cortex '%s' 2>'%s/stderr'", rs_bin(), job, job);
    char path[1024];
    snprintf(path, sizeof path, "%s/output/output.json", job);
    char *text = rs_slurp(path);
    cr_assert_eq(rc, 0, "nbsoar cortex failed: %s", text);
    cr_assert_null(strstr(text, token), "the token leaked into the report");
    json_t *r = json_loads(text, 0, NULL);
    cr_assert(json_is_true(json_object_get(r, "success")), "%s", text);
    json_t *ops = json_object_get(r, "operations");
    cr_assert_eq(json_array_size(ops), 2, "%s", text);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ops, 0), "tag")),
                     "seen:thehive:case:~1001:soc:analyst");
    const char *link = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(r, "full"), "notebooks"), 0), "output_notebook"));
    cr_assert(link && strstr(link, "case-1001-echo.ipynb") && !strstr(link, token), "%s", link ? link : "");
    snprintf(path, sizeof path, "%s/Cortex/%s/case-1001-echo.ipynb", root, year());
    cr_assert(rs_file_contains(path, "seen:thehive:case"), "%s was written through the contents API", path);
    snprintf(path, sizeof path, "%s/Cortex/%s/sub/case-1001-nested.ipynb", root, year());
    cr_assert(rs_file_contains(path, "injected-parameters"), "%s keeps its subfolder", path);
    json_decref(r);
    free(text);
}

Test(cortex_remote, jupyter_server_notebooks_run_on_its_kernels, .timeout = 180)
{
    char dir[512], src[1024], job[600];
    struct rserver s;
    rs_mkdtemp(dir, sizeof dir);
    rs_source(src, sizeof src, "tests/cortex/notebooks");
    cr_assert_eq(rs_system("mkdir -p '%s/root' && cp -r '%s/.' '%s/root/'", dir, src, dir), 0);
    cr_assert_eq(rs_start_jupyter(&s, dir, 0), 0, "jupyter-server did not start; see %s", s.log);
    snprintf(job, sizeof job, "%s/job", dir);
    write_job(job, s.url, s.token, 0, NULL);
    char root[600];
    snprintf(root, sizeof root, "%s/root", dir);
    run_and_check(job, root, s.token);

    /* config.proxy.http reaches the HTTP client: through a closed port, nothing gets there */
    char job2[700], path[800];
    snprintf(job2, sizeof job2, "%s/job-proxy", dir);
    write_job(job2, s.url, s.token, 0, NULL);
    snprintf(path, sizeof path, "%s/input/input.json", job2);
    json_t *in = json_load_file(path, 0, NULL);
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", rs_free_port());
    json_object_set_new(json_object_get(in, "config"), "proxy", json_pack("{s:s, s:n}", "http", proxy, "https"));
    cr_assert_eq(json_dump_file(in, path, 0), 0);
    json_decref(in);
    int rc = rs_system("NO_PROXY= no_proxy= '%s' --log-level error cortex '%s' 2>/dev/null", rs_bin(), job2);
    snprintf(path, sizeof path, "%s/output/output.json", job2);
    char *text = rs_slurp(path);
    cr_assert_neq(rc, 0, "%s", text);
    cr_assert(strstr(text, "\"success\":false") && strstr(text, "proxy"), "the failure names the proxy: %s", text);
    cr_assert_null(strstr(text, s.token));
    free(text);
    rs_stop(&s);
    rs_system("rm -rf '%s'", dir);
}

Test(cortex_remote, jupyterhub_cortex_job_server_runs_the_notebooks, .timeout = 240)
{
    char dir[512], src[1024], job[600], home[600];
    struct rserver hub;
    rs_mkdtemp(dir, sizeof dir);
    cr_assert_eq(rs_start_hub(&hub, dir), 0, "JupyterHub did not start; see %s", hub.log);
    snprintf(home, sizeof home, "%s/home/alice", hub.dir);
    rs_source(src, sizeof src, "tests/cortex/notebooks");
    cr_assert_eq(rs_system("mkdir -p '%s' && cp -r '%s/.' '%s/'", home, src, home), 0);
    snprintf(job, sizeof job, "%s/job", dir);
    write_job(job, hub.url, hub.token, 1, "alice");
    run_and_check(job, home, hub.token);
    rs_stop(&hub);
    rs_system("rm -rf '%s'", dir);
}
