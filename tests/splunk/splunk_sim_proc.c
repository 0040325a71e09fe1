/* See splunk_sim_proc.h. */
#include "splunk_sim_proc.h"

#include <criterion/criterion.h>

int sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                    const char *overrides, void **state)
{
    json_t *conf = fake_host_config(p, overrides);
    cr_assert_not_null(conf, "bad overrides %s", overrides ? overrides : "");
    if (json_object_get(conf, "url") == NULL)
        json_object_set_new(conf, "url", json_string(s->url));
    if (json_object_get(conf, "username") == NULL && json_object_get(conf, "token") == NULL)
        json_object_set_new(conf, "token", json_string(SIM_TOKEN));
    *state = NULL;
    int rc = p->init(&fh->host, conf, state);
    json_decref(conf);
    return rc;
}
