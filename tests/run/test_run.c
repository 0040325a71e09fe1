/* nbsoar run end to end on a real ipykernel: each test runs one scenario
 * of run_e2e.py (which drives the nbsoar binary and says which check
 * failed).  Scenarios: 50 events through 5 routes; kill -9 at random points
 * then a restart; malformed events quarantined; a failing notebook; an
 * endless notebook stopped at its timeout; SIGTERM draining a run; the
 * metrics endpoint; a webhook 202 followed at once by kill -9;
 * SIGHUP reloading routes; a sink's rate limit; a kernel that never
 * starts within its job's timeout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

static int scenario(const char *name)
{
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    cr_assert_not_null(root, "NBSOAR_SOURCE_ROOT is set by meson");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/run/run_e2e.py %s", root, name);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

TestSuite(run, .timeout = 600);

Test(run, fifty_events_through_five_routes_give_the_expected_jobs_outputs_and_operations)
{
    cr_assert_eq(scenario("fifty"), 0);
}

Test(run, kill_9_at_random_points_loses_no_event_and_applies_nothing_twice)
{
    cr_assert_eq(scenario("kill9"), 0);
}

Test(run, malformed_events_are_quarantined_with_a_reason_and_the_host_goes_on)
{
    cr_assert_eq(scenario("malformed"), 0);
}

/* also status, retry and replay on the failed and the good job */
Test(run, a_failing_notebook_fails_its_job_only)
{
    cr_assert_eq(scenario("failing"), 0);
}

Test(run, an_endless_notebook_is_stopped_at_its_timeout)
{
    cr_assert_eq(scenario("endless"), 0);
}

Test(run, a_kernel_that_never_starts_times_out_its_job_once)
{
    cr_assert_eq(scenario("slowstart"), 0);
}

Test(run, a_kernel_past_start_timeout_times_out_its_job_once)
{
    cr_assert_eq(scenario("startlimit"), 0);
}

Test(run, sigterm_drains_and_a_restart_finishes_the_rest)
{
    cr_assert_eq(scenario("sigterm"), 0);
}

Test(run, the_metrics_endpoint_counts_jobs_and_operations)
{
    cr_assert_eq(scenario("metrics"), 0);
}

Test(run, an_event_the_webhook_answered_202_survives_an_immediate_kill_9)
{
    cr_assert_eq(scenario("webhook202"), 0);
}

Test(run, sighup_reloads_the_routes)
{
    cr_assert_eq(scenario("sighup"), 0);
}

Test(run, a_sink_rate_delays_operations_instead_of_dropping_them)
{
    cr_assert_eq(scenario("rate"), 0);
}
