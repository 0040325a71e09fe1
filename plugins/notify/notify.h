/*
 * notify: a sink that tells people about jobs — mail over SMTP (the host's
 * mail_send service) and/or a generic JSON webhook (the host's http).
 *
 * Operations it applies:
 *
 *   {"type": "Notify", "subject": "...", "body": "...",
 *    "to": "a@b" | ["a@b", ...]}                      (to: optional)
 *       From a notebook.  Mailed to `to` (else mail_to) and POSTed to
 *       webhook_url as {"type": "Notify", "subject", "body", "to", "job":
 *       {id, route, notebook, event_id}, "text"}.
 *
 *   {"type": "JobFinished", "job": {
 *        "id": "job-42",                  string, required
 *        "status": "succeeded",           string, required: succeeded | failed |
 *                                         error | timeout | dead (anything else
 *                                         is passed through as text)
 *        "route": "phishing",             string
 *        "notebook": "phishing_triage.ipynb",  input notebook, string
 *        "output": "/srv/out/...ipynb",   where the executed notebook went
 *        "output_link": "https://...",    link a person opens (preferred over output)
 *        "error": "cell 4: KeyError ...", string, when not succeeded
 *        "duration_s": 12.5,              number ("duration" is read too)
 *        "attempt": 1,                    integer
 *        "event_id": "...", "event_title": "..."   strings
 *    }}
 *       Emitted by the dispatcher when a job ends, with the sink's own
 *       `struct nbsoar_job` (whose id, route, notebook, event fill what the
 *       object lacks).  Sent only when the status is in notify_on.  The mail
 *       is plain text: status, route, notebook, event title, error, duration
 *       and the link to the executed notebook; the webhook body is
 *       {"type": "JobFinished", "job": {...}, "text": "<subject>\n<link>"}
 *       ("text" so chat webhooks show something).
 *
 * apply() returns OK when every configured channel took the message, RETRY
 * when one failed transiently (mail 4xx or unreachable, webhook 429/5xx or
 * unreachable), ERROR otherwise, with *result {"mail": {...}, "webhook":
 * {...}} or {"error": "..."}.  Mail goes first: a webhook failure after the
 * mail was sent makes the host retry both, so a retried operation may mail
 * twice.
 */
#ifndef NBSOAR_NOTIFY_H
#define NBSOAR_NOTIFY_H

#include <stddef.h>
#include <nbsoar/plugin.h>

#define NOTIFY_ERR_MAX 1024

struct notify {
    const struct nbsoar_host *host;
    char *smtp_url, *smtp_user, *smtp_password, *ca_file; /* OWNED or NULL */
    char *mail_from;        /* OWNED or NULL */
    char **mail_to;         /* OWNED, NULL-terminated (may be empty) */
    int starttls, tls_no_verify;
    long smtp_timeout_ms;
    char *subject_prefix;   /* OWNED */
    char *webhook_url;      /* OWNED or NULL */
    char *webhook_auth;     /* OWNED or NULL: "Authorization: Bearer TOKEN" */
    long webhook_timeout_ms;
    json_t *notify_on;      /* OWNED: array of statuses; "*" matches all */
};

/* notify_text.c: what the messages say. */
/* The JobFinished job object completed from the job the host passed (may
 * be NULL).  OWNED: json_decref(). */
json_t *notify_job_object(const json_t *given, const struct nbsoar_job *job);
/* Subject and plain-text body of a JobFinished mail.  OWNED: free(). */
char *notify_job_subject(const struct notify *n, const json_t *job);
char *notify_job_body(const json_t *job);

#endif
