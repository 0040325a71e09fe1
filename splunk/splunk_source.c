/* The source: every poll reads one window of notables through
 * POST /services/search/v2/jobs/export and emits each one as it arrives.
 *
 * Window: [until - lookback, now - delay), where `until` is the end of the
 * last window read whole (the cursor).  The lookback re-reads the end of the
 * previous window, where notables indexed late (an _time older than their
 * arrival) show up; the seen-set drops the ones already emitted.  The cursor
 * (until + seen-set) is saved only after the whole stream was read and every
 * event accepted, so a stream cut in the middle, a search error or a refused
 * event leaves it where it was and the next poll reads the window again. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "splunk.h"

#define CURSOR_KEY "notables"

struct poll_ctx {
    struct sp_state *st;
    struct sp_lines lines;
    struct sp_export ex;
    long emitted, duplicates, no_id;
    int fail_rc;            /* NBSOAR_RETRY / NBSOAR_ERROR from an event, or 0 */
    char fail[1024];
};

static int on_result(void *arg, json_t *row)
{
    struct poll_ctx *c = arg;
    struct sp_state *st = c->st;
    const char *event_id = sp_row_string(row, "event_id");
    if (event_id == NULL) {
        if (c->no_id++ == 0)
            st->host->log(st->host, NBSOAR_LOG_WARN, "a result without event_id was skipped: "
                          "the search must return notables (search `notable` ...)");
        return 0;
    }
    uint64_t hash = sp_seen_hash(event_id);
    if (sp_seen_has(&st->seen, hash)) {
        c->duplicates++;
        return 0;
    }
    double t = sp_parse_time(sp_row_string(row, "_time"));
    const json_t *detection = NULL;
    const char *name = sp_row_string(row, "search_name");
    if (name == NULL)
        name = sp_row_string(row, "source");
    if (st->enrich && name != NULL) {
        int rc = sp_enrich_get(st, name, &detection, c->fail, sizeof(c->fail));
        if (rc != NBSOAR_OK) {
            c->fail_rc = rc;
            return 1;
        }
    }
    json_t *ev = sp_event_build(row, st->source_name, detection);
    if (ev == NULL) {
        c->fail_rc = NBSOAR_ERROR;
        snprintf(c->fail, sizeof(c->fail), "out of memory building event %s", event_id);
        return 1;
    }
    char err[512] = "";
    int rc = st->host->emit_event(st->host, ev, err, sizeof(err));
    json_decref(ev);
    if (rc != NBSOAR_OK) {
        c->fail_rc = rc == NBSOAR_RETRY ? NBSOAR_RETRY : NBSOAR_ERROR;
        snprintf(c->fail, sizeof(c->fail), "the host did not accept notable %s: %s", event_id, err);
        return 1;
    }
    c->emitted++;
    /* Once accepted, never again: a failed add only costs the journal's dedup. */
    sp_seen_add(&st->seen, hash, t >= 0 ? (int64_t)t : (int64_t)time(NULL));
    return 0;
}

static int on_line(void *arg, const char *line, size_t len)
{
    struct poll_ctx *c = arg;
    return sp_export_line(&c->ex, line, len);
}

static int on_data(void *arg, const char *data, size_t len)
{
    struct poll_ctx *c = arg;
    return sp_lines_feed(&c->lines, data, len);
}

/* Reads the cursor once per instance; a cursor that does not parse restarts
 * from first_window (the journal drops what is re-emitted). */
static int load_cursor(struct sp_state *st)
{
    if (st->cursor_loaded)
        return NBSOAR_OK;
    char *value = NULL;
    if (st->host->cursor_get(st->host, CURSOR_KEY, &value) != NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_ERROR, "cannot read the cursor");
        return NBSOAR_ERROR;
    }
    st->until = 0;
    if (value != NULL && value[0] != '\0') {
        char err[256];
        if (sp_cursor_parse(value, &st->seen, &st->until, err, sizeof(err)) != 0) {
            st->host->log(st->host, NBSOAR_LOG_WARN, "%s; reading the last %lds again", err,
                          st->first_window_s);
            st->until = 0;
        }
    }
    free(value);
    st->cursor_loaded = 1;
    return NBSOAR_OK;
}

static int save_cursor(struct sp_state *st, int64_t until)
{
    sp_seen_prune(&st->seen, until - st->lookback_s);
    char *text = sp_cursor_format(&st->seen, until);
    int rc = text != NULL ? st->host->cursor_set(st->host, CURSOR_KEY, text) : NBSOAR_ERROR;
    free(text);
    if (rc != NBSOAR_OK) {
        st->host->log(st->host, NBSOAR_LOG_ERROR, "cannot save the cursor");
        return NBSOAR_ERROR;
    }
    st->until = until;
    return NBSOAR_OK;
}

static char *export_form(const struct sp_state *st, int64_t earliest, int64_t latest)
{
    char e[32], l[32];
    snprintf(e, sizeof(e), "%" PRId64, earliest);
    snprintf(l, sizeof(l), "%" PRId64, latest);
    char *form = NULL;
    if (sp_form_add(&form, "search", st->search) != 0 ||
        sp_form_add(&form, "output_mode", "json") != 0 ||
        sp_form_add(&form, "earliest_time", e) != 0 ||
        sp_form_add(&form, "latest_time", l) != 0) {
        free(form);
        return NULL;
    }
    return form;
}

/* What the stream came to, once the request returned rc. */
static int conclude(struct poll_ctx *c, int rc, const char *err, int64_t latest)
{
    struct sp_state *st = c->st;
    const struct nbsoar_host *h = st->host;
    if (c->fail_rc != 0) {
        h->log(h, c->fail_rc == NBSOAR_RETRY ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR,
               "%s; the window is read again next time", c->fail);
        return c->fail_rc;
    }
    if (c->ex.error[0] != '\0') {
        h->log(h, NBSOAR_LOG_ERROR, "%s", c->ex.error);
        return NBSOAR_ERROR;
    }
    if (c->lines.too_long) {
        h->log(h, NBSOAR_LOG_ERROR, "an export line is longer than max_line (%zu bytes)",
               st->max_line);
        return NBSOAR_ERROR;
    }
    if (rc != NBSOAR_OK) {
        h->log(h, rc == NBSOAR_RETRY ? NBSOAR_LOG_WARN : NBSOAR_LOG_ERROR,
               "export after %ld notables: %s; the window is read again next time",
               c->emitted, err);
        return rc;
    }
    if (c->ex.saw_offset && !c->ex.lastrow) {
        h->log(h, NBSOAR_LOG_WARN, "the export stream ended without its lastrow row after %ld "
               "results; the window is read again next time", c->ex.results);
        return NBSOAR_RETRY;
    }
    if (save_cursor(st, latest) != NBSOAR_OK)
        return NBSOAR_ERROR;
    h->counter_add(h, "splunk_notables_emitted_total", (double)c->emitted);
    h->counter_add(h, "splunk_notables_duplicate_total", (double)c->duplicates);
    h->log(h, c->emitted > 0 ? NBSOAR_LOG_INFO : NBSOAR_LOG_DEBUG,
           "%ld notables emitted, %ld seen before, up to %" PRId64, c->emitted, c->duplicates,
           latest);
    return NBSOAR_OK;
}

int sp_poll(struct sp_state *st)
{
    if (load_cursor(st) != NBSOAR_OK)
        return NBSOAR_ERROR;
    int64_t now = (int64_t)time(NULL);
    int64_t latest = now - st->delay_s;
    int64_t earliest = st->until > 0 ? st->until - st->lookback_s : now - st->first_window_s;
    if (st->until > 0 && latest <= st->until)
        return NBSOAR_OK; /* polled again within a second: nothing new yet */
    st->seen.horizon = latest - st->lookback_s;

    struct poll_ctx c = {.st = st};
    c.lines = (struct sp_lines){.on_line = on_line, .arg = &c, .max_line = st->max_line};
    c.ex = (struct sp_export){.host = st->host, .on_result = on_result, .arg = &c};
    char *form = export_form(st, earliest, latest);
    if (form == NULL) {
        st->host->log(st->host, NBSOAR_LOG_ERROR, "out of memory");
        return NBSOAR_ERROR;
    }
    struct sp_request rq = {.method = "POST", .path = "/services/search/v2/jobs/export",
                            .form = form, .stream = 1, .on_data = on_data, .on_data_arg = &c,
                            .idempotent = 1};
    char err[1400] = "";
    long status = 0;
    int rc = sp_call(st, &rq, NULL, &status, err, sizeof(err));
    free(form);
    /* The last line may lack its '\n'. */
    if (rc == NBSOAR_OK && sp_lines_finish(&c.lines) != 0 && c.ex.error[0] == '\0' &&
        c.fail_rc == 0) {
        c.fail_rc = NBSOAR_ERROR;
        snprintf(c.fail, sizeof(c.fail), "the export stream's last line could not be read");
    }
    sp_lines_free(&c.lines);
    return conclude(&c, rc, err, latest);
}
