/* nbsoar exec through a real JupyterHub 3.0 (DummyAuthenticator,
 * SimpleLocalProcessSpawner, named servers), started once for this file:
 * the named server started on demand, the notebook run there and written
 * through its contents API, the server stopped afterwards on request, and
 * a token without the scopes told which scopes it needs. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote_support.h"

static struct rserver hub;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    rs_fixture_start(&hub, -1, "HUB");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    rs_fixture_stop(&hub);
}

static char work[512];

static void setup(void)
{
    cr_assert_not_null(getenv("HUB_URL"), "the JupyterHub fixture is running");
    rs_mkdtemp(work, sizeof work);
    rs_system("printf '%%s' '%s' > '%s/token' && printf '%%s-weak' '%s' > '%s/weak'", getenv("HUB_TOKEN"), work,
              getenv("HUB_TOKEN"), work);
}

static void teardown(void)
{
    rs_system("rm -rf '%s'", work);
}

TestSuite(hub, .init = setup, .fini = teardown, .timeout = 120);

static int nbx(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int nbx(const char *name, const char *fmt, ...)
{
    char *args;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    int rc = rs_system("cd '%s' && JUPYTER_TOKEN= '%s' exec --no-progress-bar --log-level info --remote %s %s "
                       ">'%s.out' 2>'%s.err' </dev/null",
                       work, rs_bin(), getenv("HUB_URL"), args, name, name);
    free(args);
    return rc;
}

static char *work_file(const char *name)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", work, name);
    return rs_slurp(path);
}

/* The user model's entry for alice's server NAME, as the Hub reports it. */
static char *server_state(const char *name)
{
    char out[700];
    snprintf(out, sizeof out, "%s/state.json", work);
    rs_system("curl -s -H 'Authorization: token %s' %shub/api/users/alice | /usr/bin/python3 -c "
              "'import json,sys; print(json.load(sys.stdin).get(\"servers\", {}).get(\"%s\"))' > '%s'",
              getenv("HUB_TOKEN"), getenv("HUB_URL"), name, out);
    return rs_slurp(out);
}

Test(hub, the_named_server_is_started_on_demand_and_runs_the_notebook)
{
    char in[700];
    rs_source(in, sizeof in, "tests/jupyter/notebooks/outputs.ipynb");
    char *before = server_state("job1");
    cr_assert(strncmp(before, "None", 4) == 0, "job1 is not running before: %s", before);
    free(before);
    int rc = nbx("start", "--token-file token --hub-user alice --hub-server job1 '%s' %suser/alice/job1/api/contents/runs/out.ipynb",
                 in, getenv("HUB_URL"));
    char *err = work_file("start.err");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(err, "starting named server alice/job1"), "%s", err);
    cr_assert(strstr(err, "user/alice/job1/lab/tree/runs/out.ipynb"), "the browser link: %s", err);
    free(err);
    char *after = server_state("job1");
    cr_assert(strstr(after, "'ready': True"), "job1 is running afterwards: %s", after);
    free(after);
    char written[800];
    snprintf(written, sizeof written, "%s/home/alice/runs/out.ipynb", getenv("HUB_DIR"));
    cr_assert(rs_file_contains(written, "\"papermill\""), "the executed notebook is in alice's home: %s", written);
    cr_assert_not(rs_file_contains(written, getenv("HUB_TOKEN")), "no token in the notebook");
    cr_assert_not(rs_file_contains(getenv("HUB_LOG"), getenv("HUB_TOKEN")), "no token in the Hub's log");
}

Test(hub, stop_server_after_stops_the_server_it_started)
{
    char in[700];
    rs_source(in, sizeof in, "tests/jupyter/notebooks/streams.ipynb");
    int rc = nbx("stop", "--token-file token --hub-user alice --hub-server job2 --stop-server-after '%s' out.ipynb", in);
    char *err = work_file("stop.err");
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    char *state = NULL;
    for (int i = 0; i < 50; i++) {
        free(state);
        state = server_state("job2");
        if (strncmp(state, "None", 4) == 0)
            break;
        usleep(200 * 1000);
    }
    cr_assert(strncmp(state, "None", 4) == 0, "job2 was stopped: %s", state);
    free(state);
}

Test(hub, a_token_without_the_scopes_is_told_which_it_needs)
{
    char in[700];
    rs_source(in, sizeof in, "tests/jupyter/notebooks/streams.ipynb");
    int rc = nbx("weak", "--token-file weak --hub-user alice --hub-server job3 '%s' out.ipynb", in);
    char *err = work_file("weak.err");
    cr_assert_neq(rc, 0);
    cr_assert(strstr(err, "403") && strstr(err, "servers") && strstr(err, "access:servers") &&
                  strstr(err, "allow_named_servers"),
              "names the scopes: %s", err);
    free(err);
}
