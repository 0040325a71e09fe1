/*
 * webhook: events pushed over HTTP by MISP Workflows, TheHive notifications,
 * Splunk alert actions or anything else.
 *
 * init() binds `listen` (loopback by default) and starts `threads` threads
 * that accept and serve connections (one request per connection; a client
 * has `timeout` to send it); shutdown() wakes and joins them.  emit_event
 * is therefore called from these threads, several at once.  poll() does
 * nothing: events reach the host as they arrive.  Check mode validates the
 * config and binds nothing.
 *
 * A request is POST (or PUT) to a configured `path.NAME`; the answer is
 * always JSON:
 *   202 {"accepted": N, "ids": [...]}   only after host->emit_event() said OK
 *                                       for every event of the body
 *   400 broken JSON (line and column), not an object, wrong shape, bad HTTP
 *   401 missing or wrong token (WWW-Authenticate: Bearer), missing or wrong
 *       signature
 *   404 unknown path   405 other methods   413 body over max_body_bytes
 *       (refused from Content-Length before reading, or as soon as a
 *       chunked body passes the limit)   415 a Content-Type that is not JSON
 *   503 + Retry-After when the host answered RETRY, 500 when it refused
 * Error bodies are {"error": "..."} and never quote a secret.  Each request
 * is logged: method, path (no query), status, remote address; headers never.
 *
 * Auth (per path, else global): `token` (Authorization: Bearer TOKEN, or
 * the bare token in `token_header`) and/or `hmac_secret` (HMAC-SHA256 of
 * the raw body in `hmac_header`, "sha256=HEX" as GitHub sends it, or bare
 * HEX); when both are set both must pass.  A path with neither is refused
 * at init unless allow_anonymous = true.  Splunk's built-in webhook action
 * cannot send headers: use a token-capable sender or allow_anonymous on
 * loopback.
 *
 * Bodies: a JSON object (one event), an array of objects, or NDJSON (by
 * Content-Type application/x-ndjson, or a second value after the first).
 *
 * Mapping (`map.NAME`) to {id, source, type, time, title, fields, raw, ref}:
 *   misp     MISP Workflows webhook ({"Event": {...}} core format, or a bare
 *            event): fields = info, threat_level_id, analysis, published,
 *            date, distribution, timestamp, uuid, event_id, org, tags (names),
 *            attributes (flattened: Attribute + Object attributes, or
 *            _AttributeFlattened; type, category, value, to_ids, uuid,
 *            comment, object_relation, object, tags), attribute_types;
 *            ref {system: misp, kind: event, id, uuid}; id = uuid@timestamp
 *            (each edit is a new event); title = info; type = event.
 *   thehive  TheHive notification (objectType, objectId, operation, object,
 *            rootId, startDate, requestId): fields = the object + operation,
 *            object_type, organisation; ref {system: thehive, kind: alert |
 *            case | task | observable | log | ..., id: objectId, root_id};
 *            id = objectId:operation:requestId (else _updatedAt, startDate,
 *            a hash); title = object.title|name|data.
 *   splunk   Splunk alert action webhook (result, sid, search_name,
 *            results_link, app, owner): fields = result + those keys;
 *            ref {system: splunk, kind: notable, id: result.event_id or sid};
 *            id = result.event_id, else sid:hash(result); title =
 *            rule_title | rule_name | search_name; time = result._time.
 *   generic  a body that already has the event shape (a `fields` or `ref`
 *            object) is taken as is, missing id/source/type/time filled;
 *            else fields = the body, id = "sha256:" + hash of the body,
 *            title = title|name|summary|message, type = NAME, ref {system:
 *            webhook, kind: NAME, id}.
 * Then id_field.NAME / title_field.NAME (dotted paths into the payload)
 * override id and title, and fields.NAME = out=dotted.path,... add fields.
 * raw is the payload as received (generic: {}).  source is misp, thehive,
 * splunk, or the section name for generic.  Ids are derived from the
 * payload only, so a resent request yields the same ids for the journal's
 * deduplication.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "webhook.h"

static void remote_text(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t buflen)
{
    char a[NI_MAXHOST], s[NI_MAXSERV];
    if (getnameinfo((const struct sockaddr *)ss, len, a, sizeof(a), s, sizeof(s),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, buflen, "?");
    else
        snprintf(buf, buflen, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", a, s);
}

static void *serve(void *arg)
{
    struct webhook *wh = arg;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = wh->listen_fd, .events = POLLIN},
                                {.fd = wh->stop_pipe[0], .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents != 0)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        /* Threads race for each connection; the losers get EAGAIN. */
        int fd = accept4(wh->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                wh->host->log(wh->host, NBSOAR_LOG_ERROR, "accept: %s", strerror(errno));
                poll(NULL, 0, 100);
            }
            continue;
        }
        char remote[80];
        remote_text(&ss, len, remote, sizeof(remote));
        wh_serve_connection(wh, fd, remote);
    }
    return NULL;
}

static int webhook_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct webhook *wh = calloc(1, sizeof(*wh));
    *state = wh;
    if (wh == NULL)
        return NBSOAR_ERROR;
    wh->host = host;
    wh->listen_fd = -1;
    wh->stop_pipe[0] = wh->stop_pipe[1] = -1;
    if (webhook_conf_load(wh, config) != NBSOAR_OK)
        return NBSOAR_ERROR;
    if (host->check_mode)
        return NBSOAR_OK;
    char err[WH_ERR_MAX];
    if (pipe2(wh->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        host->log(host, NBSOAR_LOG_ERROR, "pipe: %s", strerror(errno));
        return NBSOAR_ERROR;
    }
    if (wh_listen(wh, err, sizeof(err)) != NBSOAR_OK) {
        host->log(host, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    for (size_t i = 0; i < wh->n_threads; i++) {
        int rc = pthread_create(&wh->threads[i], NULL, serve, wh);
        if (rc != 0) {
            host->log(host, NBSOAR_LOG_ERROR, "cannot start a listener thread: %s", strerror(rc));
            return NBSOAR_ERROR;
        }
        wh->threads_started++;
    }
    host->log(host, NBSOAR_LOG_INFO, "listening on %s (%zu path%s)", wh->bound, wh->n_paths,
              wh->n_paths == 1 ? "" : "s");
    return NBSOAR_OK;
}

/* Events arrive on the listener threads; nothing to fetch. */
static int webhook_poll(void *state)
{
    (void)state;
    return NBSOAR_OK;
}

static void webhook_shutdown(void *state)
{
    struct webhook *wh = state;
    if (wh == NULL)
        return;
    if (wh->threads_started > 0) {
        /* The byte is never read: every thread sees the pipe readable. */
        ssize_t n;
        do
            n = write(wh->stop_pipe[1], "x", 1);
        while (n < 0 && errno == EINTR);
        for (size_t i = 0; i < wh->threads_started; i++)
            pthread_join(wh->threads[i], NULL);
    }
    if (wh->listen_fd >= 0)
        close(wh->listen_fd);
    for (int i = 0; i < 2; i++)
        if (wh->stop_pipe[i] >= 0)
            close(wh->stop_pipe[i]);
    webhook_conf_free(wh);
    free(wh);
}

static const struct nbsoar_plugin webhook_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "webhook",
    .version = "0.1.0",
    .description = "events pushed over HTTP (MISP Workflows, TheHive, Splunk alerts, any JSON)",
    .config = webhook_config_keys,
    .init = webhook_init,
    .poll = webhook_poll,
    .shutdown = webhook_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &webhook_plugin;
}
