/* nbsoar exec --remote against a real Debian jupyter-server (HTTP), started
 * once for this file: the same output notebooks as a local run (v1 and
 * legacy WebSocket protocols), notebooks read from and written to the
 * contents API, a wrong token, a server killed mid-notebook, and the token
 * never showing in logs, notebooks, links or the server's request log. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote_support.h"

static struct rserver server;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    rs_fixture_start(&server, 0, "RT");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    rs_fixture_stop(&server);
}

static char work[512];

static void setup(void)
{
    cr_assert_not_null(getenv("RT_URL"), "the jupyter-server fixture is running");
    rs_mkdtemp(work, sizeof work);
    cr_assert(work[0]);
    char path[700];
    snprintf(path, sizeof path, "%s/token", work);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", getenv("RT_TOKEN"));
    fclose(f);
}

static void teardown(void)
{
    rs_system("rm -rf '%s'", work);
}

TestSuite(remote, .init = setup, .fini = teardown, .timeout = 90);

/* nbsoar exec ARGS in the work folder, output kept in NAME.out / NAME.err. */
static int nbx(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int nbx(const char *name, const char *fmt, ...)
{
    char *args;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    int rc = rs_system("cd '%s' && '%s' exec --no-progress-bar %s >'%s.out' 2>'%s.err' </dev/null", work, rs_bin(),
                       args, name, name);
    free(args);
    return rc;
}

static char *work_file(const char *name)
{
    char path[800];
    snprintf(path, sizeof path, "%s/%s", work, name);
    return rs_slurp(path);
}

static void notebook(char *out, size_t len, const char *where, const char *name)
{
    if (strcmp(where, "fixture") == 0) {
        /* $NBSOAR_FIXTURES, else shared/fixtures above the source root
         * (worktrees live deeper than the main checkout) */
        const char *fx = getenv("NBSOAR_FIXTURES");
        snprintf(out, len, "%s/papermill/%s.ipynb", fx ? fx : ".", name);
        for (int up = 1; up <= 3 && access(out, R_OK) != 0; up++) {
            char rel[300] = "";
            for (int i = 0; i < up; i++)
                strcat(rel, "../");
            strcat(rel, "shared/fixtures/papermill/");
            strcat(rel, name);
            strcat(rel, ".ipynb");
            rs_source(out, len, rel);
        }
    } else {
        char rel[300];
        snprintf(rel, sizeof rel, "tests/%s/notebooks/%s.ipynb", where, name);
        rs_source(out, len, rel);
    }
}

static int same(const char *a, const char *b)
{
    char script[600];
    rs_source(script, sizeof script, "tests/remote/nb_same.py");
    return rs_system("cd '%s' && /usr/bin/python3 '%s' '%s' '%s' >same.txt 2>&1", work, script, a, b);
}

/* Runs where/name locally and remotely (both with common, the remote run
 * also with extra); exit codes and notebooks agree. */
static void remote_like_local_with(const char *where, const char *name, const char *common, const char *extra)
{
    char in[700];
    notebook(in, sizeof in, where, name);
    cr_assert_eq(access(in, R_OK), 0, "notebook %s exists", in);
    int lrc = nbx("local", "%s '%s' local.ipynb", common, in);
    char *lerr = work_file("local.err");
    if (strstr(lerr, "Timeout waiting for IOPub")) {
        /* the reference run lost nbclient's 4 s IOPub race on a loaded
         * machine: that says nothing about the remote path, run it again */
        free(lerr);
        lrc = nbx("local", "%s '%s' local.ipynb", common, in);
        lerr = work_file("local.err");
    }
    int rrc = nbx("remote", "%s --remote %s --token-file token %s '%s' remote.ipynb", common, getenv("RT_URL"), extra,
                  in);
    char *err = work_file("remote.err");
    cr_assert_eq(rrc, lrc, "%s: remote exit %d, local %d; remote stderr: %s; local stderr: %s", name, rrc, lrc, err,
                 lerr);
    free(err);
    free(lerr);
    int d = same("local.ipynb", "remote.ipynb");
    char *diff = work_file("same.txt");
    cr_assert_eq(d, 0, "%s: remote and local notebooks differ:\n%s", name, diff);
    free(diff);
}

static void remote_like_local(const char *where, const char *name, const char *extra)
{
    remote_like_local_with(where, name, "", extra);
}

Test(remote, an_execution_timeout_interrupts_the_remote_kernel_as_a_local_one)
{
    /* the cell sleeps 30 s: POST .../interrupt ends it as SIGINT does locally */
    remote_like_local_with("jupyter", "timeout", "--execution-timeout 2", "");
}

Test(remote, outputs_and_streams_match_a_local_run)
{
    remote_like_local("jupyter", "outputs", "");
    remote_like_local("jupyter", "streams", "");
}

Test(remote, failing_notebooks_match_a_local_run)
{
    remote_like_local("jupyter", "error", "");
    remote_like_local("jupyter", "sysexit1", "");
    remote_like_local("jupyter", "raises", "");
}

Test(remote, papermill_fixtures_match_a_local_run)
{
    remote_like_local("fixture", "sysexit", "");
    remote_like_local("fixture", "blank-vscode", "");
    remote_like_local("fixture", "broken", "");
}

Test(remote, legacy_json_protocol_matches_a_local_run)
{
    remote_like_local("jupyter", "outputs", "--ws-protocol legacy");
    remote_like_local("jupyter", "error", "--ws-protocol legacy");
}

Test(remote, v1_protocol_is_chosen_by_jupyter_server)
{
    char in[700];
    notebook(in, sizeof in, "jupyter", "streams");
    int rc = nbx("v1", "--remote %s --token-file token --ws-protocol v1 '%s' out.ipynb", getenv("RT_URL"), in);
    char *err = work_file("v1.err");
    cr_assert_eq(rc, 0, "v1 demanded and offered by jupyter-server 1.23: %s", err);
    free(err);
}

Test(remote, notebooks_are_read_from_and_written_to_the_contents_api)
{
    char in[700];
    notebook(in, sizeof in, "jupyter", "outputs");
    cr_assert_eq(rs_system("mkdir -p '%s/root/playbooks' && cp '%s' '%s/root/playbooks/in put.ipynb'", getenv("RT_DIR"),
                           in, getenv("RT_DIR")), 0);
    time_t t = time(NULL);
    char year[8];
    strftime(year, sizeof year, "%Y", gmtime(&t));
    int rc = nbx("contents",
                 "--log-level info --remote %s --token-file token %sapi/contents/playbooks/in%%20put.ipynb "
                 "%sapi/contents/runs/%%Y/deep/out.ipynb",
                 getenv("RT_URL"), getenv("RT_URL"), getenv("RT_URL"));
    char *err = work_file("contents.err");
    cr_assert_eq(rc, 0, "%s", err);
    /* the parent folders were created, the %Y expanded, the link reported */
    char written[900], link[300];
    snprintf(written, sizeof written, "%s/root/runs/%s/deep/out.ipynb", getenv("RT_DIR"), year);
    cr_assert_eq(access(written, R_OK), 0, "the output notebook is at %s", written);
    snprintf(link, sizeof link, "%slab/tree/runs/%s/deep/out.ipynb", getenv("RT_URL"), year);
    cr_assert(strstr(err, link), "the browser link %s is reported: %s", link, err);
    free(err);
    nbx("local", "'%s' local.ipynb", in);
    cr_assert_eq(same("local.ipynb", written), 0, "the stored notebook is the executed one");
}

Test(remote, a_wrong_token_is_a_clear_403)
{
    char in[700], path[700];
    notebook(in, sizeof in, "jupyter", "outputs");
    snprintf(path, sizeof path, "%s/bad", work);
    FILE *f = fopen(path, "w");
    fputs("not-the-token\n", f);
    fclose(f);
    int rc = nbx("bad", "--remote %s --token-file bad '%s' out.ipynb", getenv("RT_URL"), in);
    char *err = work_file("bad.err");
    cr_assert_neq(rc, 0);
    cr_assert(strstr(err, "403") && strstr(err, "token"), "names HTTP 403 and the token: %s", err);
    cr_assert_null(strstr(err, "not-the-token"), "the wrong token is not printed either: %s", err);
    free(err);
}

Test(remote, the_token_shows_nowhere)
{
    char in[700];
    notebook(in, sizeof in, "jupyter", "outputs");
    int rc = nbx("leak", "--log-level debug --log-output --remote %s --token-file token '%s' %sapi/contents/leak.ipynb",
                 getenv("RT_URL"), in, getenv("RT_URL"));
    cr_assert_eq(rc, 0);
    const char *tok = getenv("RT_TOKEN");
    char path[800];
    const char *files[] = {"leak.out", "leak.err"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", work, files[i]);
        cr_assert_not(rs_file_contains(path, tok), "no token in %s", files[i]);
    }
    snprintf(path, sizeof path, "%s/root/leak.ipynb", getenv("RT_DIR"));
    cr_assert_not(rs_file_contains(path, tok), "no token in the output notebook");
    /* the server logs every request URL at debug level: no ?token= */
    cr_assert(rs_file_contains(getenv("RT_LOG"), "/api/kernels"), "the server log has the requests");
    cr_assert_not(rs_file_contains(getenv("RT_LOG"), tok), "no token in the server's log");
}

Test(remote, a_server_killed_mid_notebook_ends_the_run, .timeout = 120)
{
    char dir[512], in[700];
    rs_mkdtemp(dir, sizeof dir);
    struct rserver s;
    cr_assert_eq(rs_start_jupyter(&s, dir, 0), 0, "a second jupyter-server");
    char tokpath[700];
    snprintf(tokpath, sizeof tokpath, "%s/tok", dir);
    FILE *f = fopen(tokpath, "w");
    fprintf(f, "%s", s.token);
    fclose(f);
    notebook(in, sizeof in, "jupyter", "timeout");
    /* the run starts in the background (a child holding none of the test
     * runner's descriptors); the server dies during the sleep */
    char *cmd;
    cr_assert(asprintf(&cmd, "cd '%s' && exec '%s' exec --no-progress-bar --remote %s --token-file '%s' '%s' "
                             "out.ipynb >killed.out 2>killed.err </dev/null",
                       work, rs_bin(), s.url, tokpath, in) > 0);
    pid_t run = fork();
    if (run == 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    free(cmd);
    for (int i = 0; i < 200 && !rs_file_contains(s.log, "Kernel started"); i++)
        usleep(50 * 1000);
    sleep(2);
    rs_kill_now(&s);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int st = 0;
    while (waitpid(run, &st, WNOHANG) != run) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec >= 30) {
            kill(run, SIGKILL);
            waitpid(run, NULL, 0);
            cr_assert_fail("the run did not end within 30 s of the server's death");
        }
        usleep(100 * 1000);
    }
    char *err = work_file("killed.err");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "the run failed: %s", err);
    cr_assert(strstr(err, "WebSocket") || strstr(err, "connect"), "says the connection was lost: %s", err);
    free(err);
    rs_system("rm -rf '%s'", dir);
}

Test(remote, an_executor_section_with_a_vault_token_runs_remotely)
{
    char in[700], path[800];
    notebook(in, sizeof in, "jupyter", "streams");
    snprintf(path, sizeof path, "%s/keys.py", work);
    FILE *f = fopen(path, "w");
    fprintf(f, "jupyter_token = \"%s\"\n", getenv("RT_TOKEN"));
    fclose(f);
    chmod(path, 0600);
    snprintf(path, sizeof path, "%s/nbsoar.conf", work);
    f = fopen(path, "w");
    fprintf(f, "[host]\nvault = keys.py\n\n[executor remote]\nplugin = jupyter\nserver = %s\ntoken = vault:jupyter_token\n",
            getenv("RT_URL"));
    fclose(f);
    /* the run goes to the server: it logs the job's kernel by its session */
    int rc = nbx("vault", "-c nbsoar.conf --log-level debug '%s' out.ipynb", in);
    char *err = work_file("vault.err");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_null(strstr(err, getenv("RT_TOKEN")), "%s", err);
    free(err);
    char *out = work_file("out.ipynb");
    cr_assert(strstr(out, "\"papermill\""), "the notebook was written");
    free(out);
    cr_assert_eq(rs_system("grep -q 'POST /api/kernels' '%s'", getenv("RT_LOG")), 0, "the server created a kernel");
}

Test(remote, a_dropped_websocket_is_reconnected_and_nothing_is_lost)
{
    /* a proxy cuts the kernel WebSocket 2 s into a 4 s cell; the client
     * reconnects with the same session and the server replays the rest */
    char script[600], portfile[800], in[700];
    rs_source(script, sizeof script, "tests/remote/drop_proxy.py");
    snprintf(portfile, sizeof portfile, "%s/proxy.port", work);
    char target[16];
    snprintf(target, sizeof target, "%d", atoi(strrchr(getenv("RT_URL"), ':') + 1));
    pid_t proxy = fork();
    if (proxy == 0) {
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execl("/usr/bin/python3", "python3", script, portfile, target, "2.0", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && access(portfile, R_OK) != 0; i++)
        usleep(50 * 1000);
    char *port = rs_slurp(portfile);
    rs_source(in, sizeof in, "tests/remote/notebooks/drop.ipynb");
    int rc = nbx("drop", "--log-level info --remote http://127.0.0.1:%s/ --token-file token '%s' out.ipynb", port, in);
    free(port);
    kill(proxy, SIGKILL);
    waitpid(proxy, NULL, 0);
    char *err = work_file("drop.err"), *out = work_file("out.ipynb");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(err, "reconnecting"), "the drop happened and was noticed: %s", err);
    cr_assert(strstr(out, "before") && strstr(out, "after") && strstr(out, "next"), "every output arrived: %s", out);
    free(err);
    free(out);
}
