/* Dispatcher: the table `nbsoar run --once` prints, one row per job this
 * run made or ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_internal.h"
#include "log.h"

#define REPORT_LIMIT 100000

static const char *str(const json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));
    return s ? s : "-";
}

/* "applied/total" of the job's operations, or "-". */
static void ops_cell(const json_t *row, char *buf, size_t len)
{
    json_t *ops = json_object_get(row, "operations");
    long total = 0, applied = 0;
    const char *k;
    json_t *v;
    json_object_foreach(ops, k, v) {
        total += (long)json_integer_value(v);
        if (strcmp(k, "applied") == 0)
            applied += (long)json_integer_value(v);
    }
    if (total == 0)
        snprintf(buf, len, "0");
    else if (applied == total)
        snprintf(buf, len, "%ld", total);
    else
        snprintf(buf, len, "%ld/%ld applied", applied, total);
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int dispatch_report(struct dispatcher *d, FILE *out)
{
    char err[512];
    json_t *rows = NULL;
    struct journal_job_filter f = {.limit = REPORT_LIMIT};
    if (journal_list_jobs(d->journal, &f, &rows, err, sizeof err) != 0) {
        log_error("%s", err);
        return -1;
    }
    /* oldest first reads like the run went */
    size_t n = json_array_size(rows);
    int bad = 0, shown = 0;
    fprintf(out, "%-28s %-22s %-28s %-10s %8s %10s  %s\n", "EVENT", "ROUTE", "NOTEBOOK", "STATUS",
            "DURATION", "OPERATIONS", "OUTPUT");
    for (size_t i = n; i-- > 0;) {
        json_t *row = json_array_get(rows, i);
        if (json_object_get(d->once_jobs, str(row, "id")) == NULL)
            continue;
        const char *status = str(row, "status");
        bad |= strcmp(status, "succeeded") != 0;
        char dur[32] = "-", ops[32];
        json_t *ms = json_object_get(row, "duration_ms");
        if (json_is_integer(ms))
            snprintf(dur, sizeof dur, "%.2fs", (double)json_integer_value(ms) / 1000.0);
        ops_cell(row, ops, sizeof ops);
        fprintf(out, "%-28.28s %-22.22s %-28.28s %-10s %8s %10s  %s\n", str(row, "event_id"),
                str(row, "route"), base(str(row, "notebook")), status, dur, ops,
                str(row, "output"));
        const char *e = json_string_value(json_object_get(row, "error"));
        if (e != NULL && strcmp(status, "succeeded") != 0) {
            char line[200];
            snprintf(line, sizeof line, "%s", e);
            line[strcspn(line, "\n")] = '\0';
            fprintf(out, "  error: %s\n", line);
        }
        shown++;
    }
    fprintf(out, "%d job%s, %s\n", shown, shown == 1 ? "" : "s",
            bad ? "some did not succeed" : "all succeeded");
    json_decref(rows);
    return bad ? 1 : 0;
}
