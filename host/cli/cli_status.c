/* nbsoar status and nbsoar jobs: what the journal says, while the daemon
 * runs or not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_journal.h"

static const char *const status_help =
    "usage: nbsoar status -c CONF\n\n"
    "Queue depth, running jobs, recent failures and per-route counts from the\n"
    "journal CONF names.\n\n"
    "options:\n"
    "  -c, --config CONF     the config (required)\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

static const char *const jobs_help =
    "usage: nbsoar jobs -c CONF [--failed] [--event ID] [--limit N]\n\n"
    "Lists jobs, newest first: id, status, event, route, notebook, attempts,\n"
    "duration, output, error.\n\n"
    "options:\n"
    "  -c, --config CONF     the config (required)\n"
    "      --failed          only failed and dead jobs\n"
    "      --event ID        only jobs of this event (its own id)\n"
    "      --limit N         at most N jobs (default 100)\n"
    "  -h, --help            this help\n" CLI_GLOBAL_HELP;

static const char *s(const json_t *row, const char *key)
{
    const char *v = json_string_value(json_object_get(row, key));
    return v ? v : "-";
}

static void print_job(const json_t *row)
{
    char dur[32] = "-";
    json_t *ms = json_object_get(row, "duration_ms");
    if (json_is_integer(ms))
        snprintf(dur, sizeof dur, "%.2fs", (double)json_integer_value(ms) / 1000.0);
    printf("%-30s %-10s %-28.28s %-20.20s %-30.30s %3lld %8s  %s\n", s(row, "id"),
           s(row, "status"), s(row, "event_id"), s(row, "route"), s(row, "notebook"),
           (long long)json_integer_value(json_object_get(row, "attempts")), dur, s(row, "output"));
    const char *e = json_string_value(json_object_get(row, "error"));
    if (e != NULL) {
        char line[240];
        snprintf(line, sizeof line, "%s", e);
        line[strcspn(line, "\n")] = '\0';
        printf("    error: %s\n", line);
    }
}

static int status_run(int argc, char **argv)
{
    const char *conf_path;
    int a = cli_journal_args("status", status_help, argc, argv, NULL, NULL, NULL, &conf_path);
    if (a != 0)
        return a > 0 ? CLI_OK : CLI_USAGE;
    struct conf *conf;
    struct journal *j = cli_journal_open("status", conf_path, 1, &conf);
    if (j == NULL)
        return CLI_USAGE;
    struct journal_stats st;
    json_t *routes = NULL, *failed = NULL;
    char err[512];
    struct journal_job_filter f = {.status = "failed", .limit = 5};
    int rc = CLI_OK;
    if (journal_stats(j, &st, err, sizeof err) != 0 ||
        journal_route_counts(j, &routes, err, sizeof err) != 0 ||
        journal_list_jobs(j, &f, &failed, err, sizeof err) != 0) {
        fprintf(stderr, "nbsoar status: %s\n", err);
        rc = CLI_FAILED;
    } else {
        printf("events      %ld (%ld quarantined)\n", st.events, st.quarantined);
        printf("queue       %ld queued, %ld waiting to retry\n", st.queued, st.retry_wait);
        printf("running     %ld\n", st.running);
        printf("done        %ld succeeded, %ld failed, %ld dead\n", st.succeeded, st.failed,
               st.dead);
        printf("operations  %ld pending, %ld applying, %ld applied, %ld failed\n",
               st.ops_pending, st.ops_applying, st.ops_applied, st.ops_failed);
        printf("\nper route:\n");
        const char *name;
        json_t *counts;
        json_object_foreach(routes, name, counts) {
            printf("  %-24s", name[0] ? name : "(none)");
            const char *k;
            json_t *v;
            json_object_foreach(counts, k, v) printf(" %s=%lld", k, (long long)json_integer_value(v));
            printf("\n");
        }
        printf("\nrecent failures:%s\n", json_array_size(failed) ? "" : " none");
        size_t i;
        json_t *row;
        json_array_foreach(failed, i, row) print_job(row);
    }
    json_decref(routes);
    json_decref(failed);
    journal_close(j);
    conf_free(conf);
    return rc;
}

struct jobs_opts {
    struct journal_job_filter f;
};

static int jobs_take(int code, const char *arg, void *ud)
{
    struct jobs_opts *o = ud;
    if (code == 'F')
        o->f.status = "failed";
    else if (code == 'E')
        o->f.event_id = arg;
    else if (code == 'L' && (o->f.limit = atoi(arg)) > 0)
        return 0;
    else if (code == 'L')
        return -1;
    return 0;
}

static int jobs_run(int argc, char **argv)
{
    static const struct option own[] = {{"failed", no_argument, NULL, 'F'},
                                        {"event", required_argument, NULL, 'E'},
                                        {"limit", required_argument, NULL, 'L'},
                                        {NULL, 0, NULL, 0}};
    struct jobs_opts o = {{0}};
    const char *conf_path;
    int a = cli_journal_args("jobs", jobs_help, argc, argv, own, jobs_take, &o, &conf_path);
    if (a != 0)
        return a > 0 ? CLI_OK : CLI_USAGE;
    struct conf *conf;
    struct journal *j = cli_journal_open("jobs", conf_path, 1, &conf);
    if (j == NULL)
        return CLI_USAGE;
    json_t *rows = NULL;
    char err[512];
    int rc = CLI_OK;
    if (journal_list_jobs(j, &o.f, &rows, err, sizeof err) != 0) {
        fprintf(stderr, "nbsoar jobs: %s\n", err);
        rc = CLI_FAILED;
    } else {
        printf("%-30s %-10s %-28s %-20s %-30s %3s %8s  %s\n", "JOB", "STATUS", "EVENT", "ROUTE",
               "NOTEBOOK", "TRY", "DURATION", "OUTPUT");
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) print_job(row);
    }
    json_decref(rows);
    journal_close(j);
    conf_free(conf);
    return rc;
}

const struct cli_command cli_cmd_status = {
    .name = "status",
    .summary = "queue depth, running jobs, recent failures, per-route counts",
    .run = status_run,
};

const struct cli_command cli_cmd_jobs = {
    .name = "jobs",
    .summary = "list jobs (--failed, --event ID)",
    .run = jobs_run,
};
