/* See thehive_sim_proc.h. */
#include "thehive_sim_proc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_start(struct sim *s, int api_version)
{
    char seed[1024], version[8];
    snprintf(seed, sizeof(seed), "%s/tests/sim/thehive_seed.json", getenv("NBSOAR_SOURCE_ROOT"));
    snprintf(version, sizeof(version), "%d", api_version);
    const char *const args[] = {"--seed", seed, "--api-version", version, NULL};
    sim_proc_start(s, "tests/sim/thehive_sim.py", args);
}

void sim_fail(const struct sim *s, const char *mode, int count, const char *match)
{
    json_t *body = json_pack("{s:s,s:i,s:s}", "mode", mode, "count", count, "match",
                             match != NULL ? match : "");
    char *text = json_dumps(body, 0);
    json_decref(sim_hook(s, "fail", text));
    free(text);
    json_decref(body);
}

int sim_count(const json_t *state, const char *plural, const char *field, const char *value)
{
    int n = 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(state, plural), i, o) {
        const char *v = json_string_value(json_object_get(o, field));
        if (v != NULL && strcmp(v, value) == 0)
            n++;
    }
    return n;
}

json_t *sim_find(const json_t *state, const char *plural, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(state, plural), i, o) {
        const char *v = json_string_value(json_object_get(o, "_id"));
        if (v != NULL && strcmp(v, id) == 0)
            return o;
    }
    return NULL;
}

void *sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                      int api_version, const char *overrides)
{
    json_t *conf = fake_host_config(p, overrides);
    cr_assert_not_null(conf, "bad overrides %s", overrides ? overrides : "");
    if (json_object_get(conf, "url") == NULL)
        json_object_set_new(conf, "url", json_string(s->url));
    if (json_object_get(conf, "api_key") == NULL)
        json_object_set_new(conf, "api_key", json_string(SIM_KEY));
    if (json_object_get(conf, "organisation") == NULL)
        json_object_set_new(conf, "organisation", json_string("soc"));
    json_object_set_new(conf, "api_version", json_integer(api_version));
    void *state = NULL;
    int rc = p->init(&fh->host, conf, &state);
    json_decref(conf);
    cr_assert_eq(rc, NBSOAR_OK, "init failed: %s", fake_host_log(fh));
    return state;
}
