/* wss:// to a jupyter-server over HTTPS with a throw-away self-signed
 * certificate: refused with a clear message while the certificate is
 * unknown, accepted with ca_file, and a whole notebook run over HTTPS+wss. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbsoar/plugin.h"
#include "remote_support.h"
#include "ws_client.h"

static struct rserver server;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    rs_fixture_start(&server, 1, "RT");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    rs_fixture_stop(&server);
}

TestSuite(tls, .timeout = 60);

static void ws_url(char *out, size_t len)
{
    /* any kernel path: the certificate is checked before the request */
    snprintf(out, len, "wss://%sapi/kernels/00000000-0000-0000-0000-000000000000/channels",
             strstr(getenv("RT_URL"), "://") + 3);
}

Test(tls, wss_to_an_unknown_certificate_is_refused_by_name)
{
    cr_assert_not_null(getenv("RT_URL"), "the HTTPS jupyter-server is running");
    char url[300], auth[200], err[1024] = "";
    ws_url(url, sizeof url);
    snprintf(auth, sizeof auth, "Authorization: token %s", getenv("RT_TOKEN"));
    struct nbsoar_http_endpoint ep = {.auth_header = auth};
    struct nbsoar_ws *ws = NULL;
    int rc = ws_client_connect(&ep, url, NULL, &ws, NULL, 0, err, sizeof err);
    cr_assert_eq(rc, NBSOAR_ERROR, "%s", err);
    cr_assert(strstr(err, "TLS certificate verification failed"), "%s", err);
    cr_assert(strstr(err, "ca_file"), "says what to do: %s", err);
    cr_assert_null(strstr(err, getenv("RT_TOKEN")));
}

Test(tls, wss_is_accepted_with_the_ca_file)
{
    cr_assert_not_null(getenv("RT_URL"));
    char url[300], auth[200], ca[700], err[1024] = "";
    ws_url(url, sizeof url);
    snprintf(auth, sizeof auth, "Authorization: token %s", getenv("RT_TOKEN"));
    snprintf(ca, sizeof ca, "%s/cert.pem", getenv("RT_DIR"));
    struct nbsoar_http_endpoint ep = {.auth_header = auth, .ca_file = ca};
    struct nbsoar_ws *ws = NULL;
    int rc = ws_client_connect(&ep, url, NULL, &ws, NULL, 0, err, sizeof err);
    /* TLS passes; the made-up kernel is what the server refuses */
    cr_assert_neq(rc, NBSOAR_OK);
    cr_assert_null(strstr(err, "certificate"), "no certificate problem: %s", err);
    cr_assert(strstr(err, "HTTP 404"), "the server answered over TLS: %s", err);
}

static int run_exec(const char *extra, const char *name)
{
    char in[700], work[512];
    rs_source(in, sizeof in, "tests/jupyter/notebooks/streams.ipynb");
    rs_mkdtemp(work, sizeof work);
    rs_system("printf '%%s' '%s' > '%s/token'", getenv("RT_TOKEN"), work);
    int rc = rs_system("cd '%s' && JUPYTER_TOKEN= '%s' exec --no-progress-bar --remote %s --token-file token %s '%s' "
                       "out.ipynb >%s.out 2>'%s/%s.err'",
                       work, rs_bin(), getenv("RT_URL"), extra, in, name, getenv("RT_DIR"), name);
    rs_system("rm -rf '%s'", work);
    return rc;
}

Test(tls, a_notebook_runs_over_https_and_wss_with_ca_file)
{
    cr_assert_not_null(getenv("RT_URL"));
    char extra[700], errpath[700];
    snprintf(extra, sizeof extra, "--ca-file '%s/cert.pem'", getenv("RT_DIR"));
    int rc = run_exec(extra, "ca");
    snprintf(errpath, sizeof errpath, "%s/ca.err", getenv("RT_DIR"));
    char *err = rs_slurp(errpath);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
}

Test(tls, without_ca_file_the_run_stops_at_the_certificate)
{
    cr_assert_not_null(getenv("RT_URL"));
    int rc = run_exec("", "noca");
    char errpath[700];
    snprintf(errpath, sizeof errpath, "%s/noca.err", getenv("RT_DIR"));
    char *err = rs_slurp(errpath);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(err, "certificate") || strstr(err, "TLS"), "names the certificate: %s", err);
    free(err);
}

Test(tls, no_verify_tls_accepts_the_unknown_certificate)
{
    cr_assert_not_null(getenv("RT_URL"));
    int rc = run_exec("--no-verify-tls", "noverify");
    char errpath[700];
    snprintf(errpath, sizeof errpath, "%s/noverify.err", getenv("RT_DIR"));
    char *err = rs_slurp(errpath);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
}
