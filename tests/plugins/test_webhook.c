/* The webhook source end to end: the built webhook.so started through the
 * fake host, real HTTP requests over loopback (libcurl, and raw sockets
 * where a client must misbehave). */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_host.h"
#include "test_files.h"

#define TOKEN "tok-9f8e7d6c5b4a"
#define HMAC_KEY "hm-s3cr3t-0a1b2c"

static struct fake_host *fh;
static const struct nbsoar_plugin *plugin;
static void *state;
static int port;

static void setup(void)
{
    fh = fake_host_new("hooks");
    plugin = fake_host_load_plugin("webhook", NULL);
    cr_assert_not_null(plugin);
    state = NULL;
    port = 0;
}

static void teardown(void)
{
    fake_host_stop(&fh, plugin, &state);
}

TestSuite(webhook, .init = setup, .fini = teardown, .timeout = 30);

/* Paths used by most tests; extra is merged in (a JSON object text). */
static const char *const base_conf =
    "{\"listen\": \"127.0.0.1:0\", \"token\": \"" TOKEN "\","
    " \"path.misp\": \"/misp\", \"map.misp\": \"misp\","
    " \"path.hive\": \"/thehive\", \"map.hive\": \"thehive\","
    " \"path.splunk\": \"/splunk\", \"map.splunk\": \"splunk\","
    " \"path.any\": \"/events\","
    " \"path.gh\": \"/signed\", \"token.gh\": \"\", \"hmac_secret.gh\": \"" HMAC_KEY "\"}";

static int start_with(const char *extra)
{
    json_t *conf = fake_host_config(plugin, base_conf);
    if (extra != NULL) {
        json_t *more = json_loads(extra, 0, NULL);
        cr_assert_not_null(more, "bad test config %s", extra);
        json_object_update(conf, more);
        json_decref(more);
    }
    int rc = plugin->init(&fh->host, conf, &state);
    json_decref(conf);
    if (rc == NBSOAR_OK && !fh->host.check_mode) {
        const char *at = strstr(fake_host_log(fh), "listening on 127.0.0.1:");
        cr_assert_not_null(at, "%s", fake_host_log(fh));
        port = atoi(at + strlen("listening on 127.0.0.1:"));
    }
    return rc;
}

static void start(void)
{
    cr_assert_eq(start_with(NULL), NBSOAR_OK, "%s", fake_host_log(fh));
}

struct reply {
    long status;
    char body[8192];
    size_t len;
    char headers[4096];
    size_t hlen;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n, room = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n, room = sizeof(r->headers) - 1 - r->hlen;
    memcpy(r->headers + r->hlen, data, len < room ? len : room);
    r->hlen += len < room ? len : room;
    r->headers[r->hlen] = '\0';
    return len;
}

/* One request; headers NULL-terminated (may be NULL).  Returns the parsed
 * JSON reply (OWNED), asserting that every answer is a JSON object. */
static json_t *request(const char *method, const char *path, const char *const *headers,
                       const char *body, struct reply *r)
{
    memset(r, 0, sizeof(*r));
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    json_t *v = json_loads(r->body, 0, NULL);
    cr_assert(json_is_object(v), "reply is not a JSON object: %s", r->body);
    return v;
}

static const char *const json_auth[] = {"Content-Type: application/json",
                                        "Authorization: Bearer " TOKEN, NULL};

static json_t *post(const char *path, const char *body, struct reply *r)
{
    return request("POST", path, json_auth, body, r);
}

static const json_t *event_at(size_t i)
{
    cr_assert_gt(json_array_size(fh->events), i, "only %zu events", json_array_size(fh->events));
    return json_array_get(fh->events, i);
}

static const char *str_at(const json_t *v, const char *a, const char *b)
{
    const json_t *x = json_object_get(v, a);
    if (b != NULL)
        x = json_object_get(x, b);
    return json_string_value(x);
}

static char *read_fixture(const char *name)
{
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/plugins/data/%s", root != NULL ? root : ".", name);
    char *text = test_read_file(path, NULL);
    cr_assert_not_null(text, "fixture %s missing", path);
    return text;
}

Test(webhook, misp_workflow_event_mapped_with_flattened_attributes_and_ref)
{
    start();
    char *fixture = read_fixture("misp_event.json");
    char *body = NULL;
    cr_assert_geq(asprintf(&body, "{\"Event\": %s}", fixture), 0);
    struct reply r;
    json_t *reply = post("/misp", body, &r);
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(reply, "accepted")), 1);
    const json_t *ev = event_at(0);
    cr_assert_str_eq(str_at(ev, "id", NULL), "5758ebf5-c898-48e6-9fe9-5665c0a83866@1465681801");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(reply, "ids"), 0)),
                     str_at(ev, "id", NULL));
    cr_assert_str_eq(str_at(ev, "source", NULL), "misp");
    cr_assert_str_eq(str_at(ev, "title", NULL), "A Random Event");
    cr_assert_str_eq(str_at(ev, "time", NULL), "2016-06-11T21:50:01Z");
    cr_assert_str_eq(str_at(ev, "ref", "system"), "misp");
    cr_assert_str_eq(str_at(ev, "ref", "kind"), "event");
    cr_assert_str_eq(str_at(ev, "ref", "id"), "2");
    cr_assert_str_eq(str_at(ev, "ref", "uuid"), "5758ebf5-c898-48e6-9fe9-5665c0a83866");
    const json_t *attrs = json_object_get(json_object_get(ev, "fields"), "attributes");
    cr_assert_eq(json_array_size(attrs), 2);
    cr_assert_str_eq(str_at(json_array_get(attrs, 0), "type", NULL), "url");
    cr_assert_str_eq(str_at(json_array_get(attrs, 0), "value", NULL),
                     "http://fake.website.com/malware/is/here");
    cr_assert_eq(json_array_size(json_object_get(json_object_get(ev, "fields"), "tags")), 2);
    cr_assert_not_null(json_object_get(json_object_get(ev, "raw"), "Event"));
    json_decref(reply);
    free(body);
    free(fixture);
}

Test(webhook, misp_object_attributes_are_flattened_with_their_object_name)
{
    start();
    struct reply r;
    json_decref(post("/misp", "{\"Event\": {\"id\": \"7\", \"uuid\": \"u-7\", \"info\": \"phish\","
                              " \"Attribute\": [{\"type\": \"domain\", \"value\": \"evil.example\"}],"
                              " \"Object\": [{\"name\": \"email\", \"Attribute\": ["
                              "   {\"type\": \"email-src\", \"object_relation\": \"from\", \"value\": \"a@evil.example\"},"
                              "   {\"type\": \"domain\", \"value\": \"evil2.example\"}]}]}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    const json_t *fields = json_object_get(event_at(0), "fields");
    const json_t *attrs = json_object_get(fields, "attributes");
    cr_assert_eq(json_array_size(attrs), 3);
    cr_assert_str_eq(str_at(json_array_get(attrs, 1), "object", NULL), "email");
    cr_assert_str_eq(str_at(json_array_get(attrs, 1), "object_relation", NULL), "from");
    cr_assert_eq(json_array_size(json_object_get(fields, "attribute_types")), 2);
    cr_assert_str_eq(str_at(event_at(0), "id", NULL), "u-7", "no timestamp: the uuid alone");
}

Test(webhook, thehive_notification_mapped_to_alert_and_case_refs)
{
    start();
    struct reply r;
    json_decref(post("/thehive",
                     "{\"operation\": \"Creation\", \"objectType\": \"Alert\", \"objectId\": \"~40964200\","
                     " \"rootId\": \"~40964200\", \"requestId\": \"req-1\", \"startDate\": 1763629361000,"
                     " \"organisation\": \"soc\", \"object\": {\"_id\": \"~40964200\", \"title\": \"Reported phishing\","
                     " \"severity\": 2, \"tags\": [\"phishing\"]}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    json_decref(post("/thehive",
                     "{\"operation\": \"Update\", \"objectType\": \"case_task\", \"objectId\": \"~77\","
                     " \"rootId\": \"~12\", \"object\": {\"_id\": \"~77\", \"title\": \"Block sender\","
                     " \"_updatedAt\": 1763629999000}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    const json_t *alert = event_at(0), *task = event_at(1);
    cr_assert_str_eq(str_at(alert, "id", NULL), "~40964200:Creation:req-1");
    cr_assert_str_eq(str_at(alert, "type", NULL), "alert");
    cr_assert_str_eq(str_at(alert, "title", NULL), "Reported phishing");
    cr_assert_str_eq(str_at(alert, "time", NULL), "2025-11-20T09:02:41Z");
    cr_assert_str_eq(str_at(alert, "ref", "system"), "thehive");
    cr_assert_str_eq(str_at(alert, "ref", "kind"), "alert");
    cr_assert_str_eq(str_at(alert, "ref", "id"), "~40964200");
    cr_assert_null(json_object_get(json_object_get(alert, "ref"), "root_id"));
    cr_assert_str_eq(str_at(alert, "fields", "operation"), "Creation");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(alert, "fields"), "severity")), 2);
    cr_assert_str_eq(str_at(task, "ref", "kind"), "task");
    cr_assert_str_eq(str_at(task, "ref", "root_id"), "~12");
    cr_assert_str_eq(str_at(task, "id", NULL), "~77:Update:1763629999000");
}

Test(webhook, splunk_alert_action_mapped_to_notable_ref)
{
    start();
    struct reply r;
    json_decref(post("/splunk",
                     "{\"sid\": \"scheduler__admin__search__RMD5_at_1795594442_12\", \"search_name\": "
                     "\"Access - Kerberos Golden Ticket - Rule\", \"app\": \"search\", \"owner\": \"admin\","
                     " \"results_link\": \"http://splunk:8000/app/search/@go?sid=x\", \"result\": {"
                     "\"event_id\": \"B5E8@@notable@@5f0e\", \"rule_title\": \"Golden ticket for svc_backup\","
                     " \"user\": \"svc_backup\", \"_time\": \"1795594442\"}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    json_decref(post("/splunk", "{\"sid\": \"sid-2\", \"search_name\": \"Plain alert\","
                                " \"result\": {\"host\": \"ws-1\"}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    const json_t *notable = event_at(0), *plain = event_at(1);
    cr_assert_str_eq(str_at(notable, "id", NULL), "B5E8@@notable@@5f0e");
    cr_assert_str_eq(str_at(notable, "ref", "system"), "splunk");
    cr_assert_str_eq(str_at(notable, "ref", "kind"), "notable");
    cr_assert_str_eq(str_at(notable, "ref", "id"), "B5E8@@notable@@5f0e");
    cr_assert_str_eq(str_at(notable, "title", NULL), "Golden ticket for svc_backup");
    cr_assert_str_eq(str_at(notable, "fields", "user"), "svc_backup");
    cr_assert_str_eq(str_at(notable, "fields", "search_name"), "Access - Kerberos Golden Ticket - Rule");
    cr_assert_str_eq(str_at(notable, "fields", "results_link"), "http://splunk:8000/app/search/@go?sid=x");
    cr_assert_str_eq(str_at(notable, "time", NULL), "2026-11-25T08:14:02Z");
    cr_assert_str_eq(str_at(plain, "ref", "id"), "sid-2");
    cr_assert_eq(strncmp(str_at(plain, "id", NULL), "sid-2:sha256:", 13), 0, "%s", str_at(plain, "id", NULL));
    cr_assert_str_eq(str_at(plain, "title", NULL), "Plain alert");
}

Test(webhook, generic_takes_event_shaped_bodies_as_is_and_wraps_others)
{
    cr_assert_eq(start_with("{\"title_field.any\": \"alert.name\","
                            " \"fields.any\": [\"host=alert.host\"]}"), NBSOAR_OK, "%s", fake_host_log(fh));
    struct reply r;
    json_decref(post("/events", "{\"id\": \"edr-7\", \"source\": \"edr\", \"type\": \"detection\","
                                " \"title\": \"x\", \"fields\": {\"host\": \"L-1\"}, \"ref\": {\"system\": \"edr\","
                                " \"kind\": \"detection\", \"id\": \"7\"}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    json_decref(post("/events", "{\"alert\": {\"name\": \"Odd login\", \"host\": \"srv-2\"}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    json_decref(post("/events", "{\"alert\": {\"name\": \"Odd login\", \"host\": \"srv-2\"}}", &r));
    const json_t *shaped = event_at(0), *wrapped = event_at(1);
    cr_assert_str_eq(str_at(shaped, "id", NULL), "edr-7");
    cr_assert_str_eq(str_at(shaped, "source", NULL), "edr");
    cr_assert_str_eq(str_at(shaped, "ref", "system"), "edr");
    cr_assert_not_null(str_at(shaped, "time", NULL), "time filled");
    cr_assert_eq(strncmp(str_at(wrapped, "id", NULL), "sha256:", 7), 0);
    cr_assert_str_eq(str_at(wrapped, "source", NULL), "hooks");
    cr_assert_str_eq(str_at(wrapped, "type", NULL), "any");
    cr_assert_str_eq(str_at(wrapped, "title", NULL), "Odd login");
    cr_assert_str_eq(str_at(wrapped, "fields", "host"), "srv-2");
    cr_assert_str_eq(str_at(wrapped, "ref", "system"), "webhook");
    cr_assert_str_eq(str_at(event_at(2), "id", NULL), str_at(wrapped, "id", NULL),
                     "the same body resent gets the same id");
}

Test(webhook, id_field_names_the_id)
{
    cr_assert_eq(start_with("{\"id_field.any\": \"detail.uid\"}"), NBSOAR_OK, "%s", fake_host_log(fh));
    struct reply r;
    json_decref(post("/events", "{\"detail\": {\"uid\": 4711}}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_str_eq(str_at(event_at(0), "id", NULL), "4711");
    json_t *reply = post("/events", "{\"detail\": {}}", &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(str_at(reply, "error", NULL), "id_field.any") != NULL, "%s", r.body);
    json_decref(reply);
}

Test(webhook, array_and_ndjson_bodies_give_one_event_each)
{
    start();
    struct reply r;
    json_t *reply = post("/events", "[{\"n\": 1}, {\"n\": 2}]", &r);
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(reply, "accepted")), 2);
    cr_assert_eq(json_array_size(json_object_get(reply, "ids")), 2);
    json_decref(reply);
    static const char *const nd[] = {"Content-Type: application/x-ndjson", "Authorization: Bearer " TOKEN, NULL};
    reply = request("POST", "/events", nd, "{\"n\": 3}\r\n\n{\"n\": 4}\n{\"n\": 5}", &r);
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(reply, "accepted")), 3);
    json_decref(reply);
    json_decref(post("/events", "{\"n\": 6}\n{\"n\": 7}\n", &r));
    cr_assert_eq(r.status, 202, "NDJSON sent as application/json: %s", r.body);
    cr_assert_eq(json_array_size(fh->events), 7);
    cr_assert_eq(json_real_value(json_object_get(fh->counters, "events_accepted_total")), 7.0);
    cr_assert_eq(json_real_value(json_object_get(fh->counters, "requests_accepted_total")), 3.0);
    for (int i = 0; i < 7; i++)
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(event_at((size_t)i), "fields"), "n")), i + 1);
}

Test(webhook, chunked_body_is_read)
{
    start();
    static const char *const h[] = {"Content-Type: application/json", "Authorization: Bearer " TOKEN,
                                    "Transfer-Encoding: chunked", NULL};
    struct reply r;
    json_decref(request("POST", "/events", h, "{\"chunked\": true}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert(json_is_true(json_object_get(json_object_get(event_at(0), "fields"), "chunked")));
}

Test(webhook, missing_or_wrong_token_is_401_with_www_authenticate)
{
    start();
    static const char *const wrong[] = {"Content-Type: application/json", "Authorization: Bearer nope", NULL};
    static const char *const none[] = {"Content-Type: application/json", NULL};
    struct reply r;
    json_t *reply = request("POST", "/events", wrong, "{\"a\": 1}", &r);
    cr_assert_eq(r.status, 401);
    cr_assert(strstr(r.headers, "WWW-Authenticate: Bearer") != NULL, "%s", r.headers);
    cr_assert_not_null(str_at(reply, "error", NULL));
    json_decref(reply);
    json_decref(request("POST", "/events", none, "{\"a\": 1}", &r));
    cr_assert_eq(r.status, 401);
    cr_assert_eq(fh->emit_calls, 0);
}

static void sign(const char *body, char *hex)
{
    unsigned char md[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), HMAC_KEY, (int)strlen(HMAC_KEY), (const unsigned char *)body, strlen(body), md, &len);
    for (unsigned int i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
}

Test(webhook, hmac_signature_checked_against_the_body)
{
    start();
    const char *body = "{\"signed\": 1}";
    char hex[65], good[128], plain[128], bad[128];
    sign(body, hex);
    snprintf(good, sizeof(good), "X-Hub-Signature-256: sha256=%s", hex);
    snprintf(plain, sizeof(plain), "X-Hub-Signature-256: %s", hex);
    hex[0] = hex[0] == '0' ? '1' : '0';
    snprintf(bad, sizeof(bad), "X-Hub-Signature-256: sha256=%s", hex);
    const char *h[] = {"Content-Type: application/json", bad, NULL};
    struct reply r;
    json_decref(request("POST", "/signed", h, body, &r));
    cr_assert_eq(r.status, 401, "%s", r.body);
    json_decref(request("POST", "/signed", h, "{\"signed\": 2}", &r));
    cr_assert_eq(r.status, 401, "signature of another body");
    h[1] = "X-Other: 1";
    json_decref(request("POST", "/signed", h, body, &r));
    cr_assert_eq(r.status, 401, "no signature header");
    cr_assert_eq(fh->emit_calls, 0);
    h[1] = good;
    json_decref(request("POST", "/signed", h, body, &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    h[1] = plain;
    json_decref(request("POST", "/signed", h, body, &r));
    cr_assert_eq(r.status, 202, "bare hex: %s", r.body);
}

/* A raw connection: send text, then read the answer (what arrives within
 * `ms`).  Returns the bytes read into buf. */
static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static size_t raw_read(int fd, char *buf, size_t len, int ms)
{
    size_t got = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (got + 1 < len && poll(&pfd, 1, ms) > 0) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return got;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Test(webhook, body_over_the_limit_is_413_before_it_is_read)
{
    cr_assert_eq(start_with("{\"max_body_bytes\": 1024}"), NBSOAR_OK, "%s", fake_host_log(fh));
    int fd = raw_connect();
    const char *head = "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN
                       "\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n[";
    cr_assert_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    double t0 = now_s();
    char buf[4096];
    raw_read(fd, buf, sizeof(buf), 3000);
    cr_assert_lt(now_s() - t0, 2.0, "answered without waiting for the 10 MB");
    cr_assert_eq(strncmp(buf, "HTTP/1.1 413 ", 13), 0, "%s", buf);
    cr_assert(strstr(buf, "{\"error\":") != NULL, "%s", buf);
    close(fd);
    cr_assert_eq(fh->emit_calls, 0);
}

Test(webhook, chunked_body_over_the_limit_is_413_without_reading_the_rest)
{
    cr_assert_eq(start_with("{\"max_body_bytes\": 1024}"), NBSOAR_OK, "%s", fake_host_log(fh));
    int fd = raw_connect();
    char req[2048];
    int n = snprintf(req, sizeof(req), "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN
                                       "\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", 900);
    memset(req + n, ' ', 900);
    memcpy(req + n + 900, "\r\n800\r\n", 7);
    cr_assert_eq(write(fd, req, (size_t)n + 907), (ssize_t)n + 907);
    char buf[4096];
    raw_read(fd, buf, sizeof(buf), 3000);
    cr_assert_eq(strncmp(buf, "HTTP/1.1 413 ", 13), 0, "%s", buf);
    close(fd);
}

Test(webhook, broken_json_is_400_with_line_and_column)
{
    start();
    struct reply r;
    json_t *reply = post("/events", "{\"a\": 1,\n  \"b\": }", &r);
    cr_assert_eq(r.status, 400);
    const char *error = str_at(reply, "error", NULL);
    cr_assert(strstr(error, "line 2 column") != NULL, "%s", error);
    json_decref(reply);
    static const char *const nd[] = {"Content-Type: application/x-ndjson", "Authorization: Bearer " TOKEN, NULL};
    reply = request("POST", "/events", nd, "{\"n\": 1}\n{\"n\": 2}\n{\"n\" 3}\n", &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(str_at(reply, "error", NULL), "line 3 column") != NULL, "%s", r.body);
    json_decref(reply);
    reply = post("/events", "[{\"n\": 1}, \"text\"]", &r);
    cr_assert_eq(r.status, 400, "an array item that is not an object");
    json_decref(reply);
    reply = post("/misp", "{\"nothing\": \"misp\"}", &r);
    cr_assert_eq(r.status, 400, "wrong shape for the mapping");
    cr_assert(strstr(str_at(reply, "error", NULL), "MISP") != NULL, "%s", r.body);
    json_decref(reply);
    cr_assert_eq(fh->emit_calls, 0, "nothing emitted from a refused body");
}

Test(webhook, host_refusing_an_event_is_503_and_nothing_acknowledged)
{
    start();
    fake_host_fail_emit(fh, NBSOAR_RETRY, -1);
    struct reply r;
    json_t *reply = post("/events", "[{\"n\": 1}, {\"n\": 2}]", &r);
    cr_assert_eq(r.status, 503, "%s", r.body);
    cr_assert(strstr(r.headers, "Retry-After:") != NULL, "%s", r.headers);
    cr_assert_null(json_object_get(reply, "ids"));
    cr_assert_null(json_object_get(reply, "accepted"));
    json_decref(reply);
    cr_assert_eq(json_array_size(fh->events), 0);
    /* The second event refused after the first was taken: still not a 202. */
    fake_host_fail_emit(fh, 0, 0);
    fh->emit_failures = 0;
    json_decref(post("/events", "{\"warm\": 1}", &r));
    cr_assert_eq(r.status, 202);
    fake_host_fail_emit(fh, NBSOAR_ERROR, -1);
    json_decref(post("/events", "{\"n\": 9}", &r));
    cr_assert_eq(r.status, 500, "%s", r.body);
}

Test(webhook, unknown_path_404_and_other_methods_405)
{
    start();
    struct reply r;
    json_decref(post("/nowhere", "{}", &r));
    cr_assert_eq(r.status, 404);
    json_decref(request("GET", "/events", json_auth, NULL, &r));
    cr_assert_eq(r.status, 405);
    cr_assert(strstr(r.headers, "Allow: POST") != NULL, "%s", r.headers);
    static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded",
                                       "Authorization: Bearer " TOKEN, NULL};
    json_decref(request("POST", "/events", form, "a=1", &r));
    cr_assert_eq(r.status, 415);
}

Test(webhook, malformed_http_is_400_not_a_crash)
{
    start();
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST /events HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        "POST /events HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2\r\n\r\n",
        "POST /events HTTP/1.1\r\nHost: x\r\n folded: y\r\n\r\n",
        "POST /events HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN
        "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = raw_connect();
        cr_assert_eq(write(fd, bad[i], strlen(bad[i])), (ssize_t)strlen(bad[i]));
        char buf[2048];
        raw_read(fd, buf, sizeof(buf), 3000);
        close(fd);
        cr_assert_eq(strncmp(buf, "HTTP/1.1 400 ", 13), 0, "case %zu: %s", i, buf);
    }
    cr_assert_eq(fh->emit_calls, 0);
}

Test(webhook, secrets_never_in_responses_or_logs)
{
    start();
    struct reply r;
    static const char *const wrong[] = {"Authorization: Bearer " TOKEN "x", NULL};
    json_decref(request("POST", "/events", wrong, "{}", &r));
    cr_assert(strstr(r.body, TOKEN) == NULL && strstr(r.headers, TOKEN) == NULL);
    json_decref(post("/events", "{\"n\": 1}", &r));
    cr_assert(strstr(r.body, TOKEN) == NULL);
    json_decref(request("POST", "/signed", wrong, "{}", &r));
    cr_assert(strstr(r.body, HMAC_KEY) == NULL);
    const char *log = fake_host_log(fh);
    cr_assert(strstr(log, "POST /events 202 from 127.0.0.1:") != NULL, "%s", log);
    cr_assert(strstr(log, "POST /events 401 from 127.0.0.1:") != NULL, "%s", log);
    /* The fake host masks registered secrets: a *** means one was logged. */
    cr_assert(strstr(log, "***") == NULL, "%s", log);
    cr_assert(strstr(log, "Bearer") == NULL && strstr(log, "Authorization") == NULL, "%s", log);
}

Test(webhook, check_mode_binds_nothing)
{
    fh->host.check_mode = 1;
    cr_assert_eq(start_with(NULL), NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(strstr(fake_host_log(fh), "listening") == NULL);
}

Test(webhook, config_mistakes_refused_at_init)
{
    fh->host.check_mode = 1;
    cr_assert_eq(start_with("{\"path.open\": \"/open\", \"token.open\": \"\", \"token\": \"\"}"),
                 NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "allow_anonymous") != NULL, "%s", fake_host_log(fh));
    plugin->shutdown(state);
    state = NULL;
    cr_assert_eq(start_with("{\"map.mips\": \"misp\"}"), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "map.mips: there is no path.mips") != NULL, "%s", fake_host_log(fh));
    plugin->shutdown(state);
    state = NULL;
    cr_assert_eq(start_with("{\"map.any\": \"splunky\"}"), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(fh), "expected misp, thehive, splunk or generic") != NULL);
}

Test(webhook, listen_address_in_use_fails_init)
{
    start();
    struct fake_host *other = fake_host_new("hooks2");
    json_t *conf = fake_host_config(plugin, base_conf);
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    json_object_set_new(conf, "listen", json_string(listen));
    void *st = NULL;
    cr_assert_eq(plugin->init(&other->host, conf, &st), NBSOAR_ERROR);
    cr_assert(strstr(fake_host_log(other), "in use") != NULL, "%s", fake_host_log(other));
    plugin->shutdown(st);
    json_decref(conf);
    fake_host_free(other);
}

Test(webhook, a_slow_client_does_not_hold_up_others)
{
    start();
    int slow = raw_connect();
    const char *part = "POST /events HTTP/1.1\r\nHost: x\r\n";
    cr_assert_eq(write(slow, part, strlen(part)), (ssize_t)strlen(part));
    double t0 = now_s();
    struct reply r;
    json_decref(post("/events", "{\"n\": 1}", &r));
    cr_assert_eq(r.status, 202, "%s", r.body);
    cr_assert_lt(now_s() - t0, 2.0, "served while another client dawdles");
    close(slow);
}

Test(webhook, shutdown_returns_while_a_client_is_connected)
{
    start();
    int slow = raw_connect();
    const char *part = "POST /events HTTP/1.1\r\n";
    cr_assert_eq(write(slow, part, strlen(part)), (ssize_t)strlen(part));
    usleep(100000);
    double t0 = now_s();
    plugin->shutdown(state);
    state = NULL;
    cr_assert_lt(now_s() - t0, 2.0);
    close(slow);
}

Test(webhook, chunked_body_with_extensions_and_trailers_is_joined)
{
    start();
    int fd = raw_connect();
    const char *req = "POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " TOKEN
                      "\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5;ext=1\r\n{\"a\":\r\n"
                      "1\r\n \r\n"
                      "3\r\n42}\r\n"
                      "0\r\nX-Trailer: yes\r\n\r\n";
    cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    char buf[4096];
    raw_read(fd, buf, sizeof(buf), 3000);
    close(fd);
    cr_assert_eq(strncmp(buf, "HTTP/1.1 202 ", 13), 0, "%s", buf);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(event_at(0), "fields"), "a")), 42);
}

Test(webhook, listens_on_ipv6_loopback_when_asked)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe < 0)
        cr_skip_test("no IPv6 here");
    close(probe);
    json_t *conf = fake_host_config(plugin, base_conf);
    json_object_set_new(conf, "listen", json_string("[::1]:0"));
    int rc = plugin->init(&fh->host, conf, &state);
    json_decref(conf);
    if (rc != NBSOAR_OK && strstr(fake_host_log(fh), "Cannot assign") != NULL)
        cr_skip_test("no IPv6 loopback here");
    cr_assert_eq(rc, NBSOAR_OK, "%s", fake_host_log(fh));
    cr_assert(strstr(fake_host_log(fh), "listening on [::1]:") != NULL, "%s", fake_host_log(fh));
}
