/* The event_ids a source has recently emitted, so the lookback window (which
 * re-reads the end of the previous window for late-indexed notables) emits
 * nothing twice.  Only 64-bit hashes and times are kept: 16 bytes a notable
 * in memory, about 28 in the cursor.  The journal's own dedup on
 * (source, event id) is the second guard, for ids this set has dropped. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "splunk.h"

uint64_t sp_seen_hash(const char *event_id)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)event_id; *p != '\0'; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h != 0 ? h : 1; /* 0 marks an empty slot */
}

int sp_seen_init(struct sp_seen *s, size_t max)
{
    memset(s, 0, sizeof(*s));
    s->max = max > 0 ? max : 1;
    s->cap = 16;
    while (s->cap < s->max * 2)
        s->cap *= 2;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    s->horizon = INT64_MIN;
    return s->slots != NULL ? 0 : -1;
}

void sp_seen_free(struct sp_seen *s)
{
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

static size_t find(const struct sp_seen *s, uint64_t hash)
{
    size_t i = (size_t)(hash & (s->cap - 1));
    while (s->slots[i].hash != 0 && s->slots[i].hash != hash)
        i = (i + 1) & (s->cap - 1);
    return i;
}

int sp_seen_has(const struct sp_seen *s, uint64_t hash)
{
    return s->slots[find(s, hash)].hash == hash;
}

/* Rebuilds the table keeping entries at or after `keep_from`. */
static void rebuild(struct sp_seen *s, int64_t keep_from)
{
    struct sp_seen_slot *old = s->slots;
    size_t old_cap = s->cap;
    s->slots = calloc(s->cap, sizeof(*s->slots));
    if (s->slots == NULL) {
        /* Keep the old table rather than lose it; it is still valid. */
        s->slots = old;
        return;
    }
    s->count = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].hash == 0 || old[i].time < keep_from)
            continue;
        s->slots[find(s, old[i].hash)] = old[i];
        s->count++;
    }
    free(old);
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Makes room: first what can no longer be re-read, then the oldest half. */
static void evict(struct sp_seen *s)
{
    rebuild(s, s->horizon);
    if (s->count < s->max)
        return;
    int64_t *times = malloc(s->count * sizeof(*times));
    if (times == NULL)
        return;
    size_t n = 0;
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i].hash != 0)
            times[n++] = s->slots[i].time;
    }
    qsort(times, n, sizeof(*times), cmp_time);
    int64_t median = times[n / 2];
    free(times);
    rebuild(s, median > INT64_MIN ? median + 1 : median);
}

int sp_seen_add(struct sp_seen *s, uint64_t hash, int64_t time)
{
    size_t i = find(s, hash);
    if (s->slots[i].hash == hash) {
        s->slots[i].time = time;
        return 0;
    }
    if (s->count >= s->max) {
        evict(s);
        if (s->count >= s->max)
            return -1;
        i = find(s, hash);
    }
    s->slots[i].hash = hash;
    s->slots[i].time = time;
    s->count++;
    return 0;
}

void sp_seen_prune(struct sp_seen *s, int64_t horizon)
{
    s->horizon = horizon;
    rebuild(s, horizon);
}

char *sp_cursor_format(const struct sp_seen *s, int64_t until)
{
    size_t cap = 64 + s->count * 40, len = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    len += (size_t)snprintf(out, cap, "{\"v\":1,\"until\":%" PRId64 ",\"seen\":\"", until);
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i].hash == 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%016" PRIx64 ":%" PRId64,
                                out[len - 1] == '"' ? "" : " ", s->slots[i].hash,
                                s->slots[i].time);
    }
    snprintf(out + len, cap - len, "\"}");
    return out;
}

int sp_cursor_parse(const char *text, struct sp_seen *s, int64_t *until, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *c = json_loads(text, 0, &jerr);
    const json_t *u = json_object_get(c, "until");
    const char *seen = json_string_value(json_object_get(c, "seen"));
    if (!json_is_object(c) || !json_is_integer(u) || seen == NULL) {
        snprintf(err, errlen, "cursor is not {\"v\":1,\"until\":N,\"seen\":\"...\"}%s%s",
                 c == NULL ? ": " : "", c == NULL ? jerr.text : "");
        json_decref(c);
        return -1;
    }
    *until = json_integer_value(u);
    const char *p = seen;
    while (*p != '\0') {
        char *end = NULL;
        uint64_t hash = strtoull(p, &end, 16);
        if (end == p || *end != ':') {
            snprintf(err, errlen, "cursor: bad seen entry at \"%.20s\"", p);
            json_decref(c);
            return -1;
        }
        p = end + 1;
        long long t = strtoll(p, &end, 10);
        if (end == p || (*end != ' ' && *end != '\0')) {
            snprintf(err, errlen, "cursor: bad seen time at \"%.20s\"", p);
            json_decref(c);
            return -1;
        }
        if (hash != 0 && sp_seen_add(s, hash, (int64_t)t) != 0)
            break;
        p = *end == ' ' ? end + 1 : end;
    }
    json_decref(c);
    return 0;
}
