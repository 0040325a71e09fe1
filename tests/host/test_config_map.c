#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config_map.h"
#include "diag_check.h"
#include "redact.h"

static const struct nbsoar_config_key keys[] = {
    {"url", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_REQUIRED, "the TheHive URL"},
    {"api_key", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_SECRET, "API key"},
    {"timeout", NBSOAR_KEY_DURATION_MS, "30s", 0, NULL},
    {"verify_tls", NBSOAR_KEY_BOOL, "true", 0, NULL},
    {"retries", NBSOAR_KEY_INT, "3", 0, NULL},
    {"tags", NBSOAR_KEY_LIST, NULL, 0, NULL},
    {"param.", NBSOAR_KEY_STRING, NULL, NBSOAR_KEY_PREFIX, NULL},
    {NULL, 0, NULL, 0, NULL},
};

static struct conf *parse(const char *text)
{
    struct diags d = {0};
    struct conf *c = conf_parse("n.conf", text, &d);
    cr_assert_eq(d.n, 0);
    diags_free(&d);
    return c;
}

static void fini(void)
{
    redact_clear();
}

TestSuite(config_map, .fini = fini);

Test(config_map, converts_types_applies_defaults_and_keeps_plugin_keys_apart)
{
    struct conf *c = parse("[sink hive]\n"
                           "plugin = thehive\n"
                           "url = https://hive\n"
                           "timeout = 1.5s\n"
                           "verify_tls = no\n"
                           "tags = a, b ,, c\n"
                           "param.severity = 3\n"
                           "param.owner = soc\n");
    struct diags d = {0};
    json_t *cfg = NULL, *inst = NULL;
    int rc = config_map_section(c->path, conf_find(c, CONF_SINK, "hive"), keys, "plugin 'thehive'",
                                config_instance_keys, NULL, &d, &cfg, &inst);
    dump(&d);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(json_string_value(json_object_get(inst, "plugin")), "thehive");
    cr_assert_null(json_object_get(cfg, "plugin"), "host keys never reach init()");
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "url")), "https://hive");
    cr_assert_eq(json_integer_value(json_object_get(cfg, "timeout")), 1500);
    cr_assert(json_is_false(json_object_get(cfg, "verify_tls")));
    cr_assert_eq(json_integer_value(json_object_get(cfg, "retries")), 3, "default applied");
    json_t *tags = json_object_get(cfg, "tags");
    cr_assert_eq(json_array_size(tags), 3);
    cr_assert_str_eq(json_string_value(json_array_get(tags, 1)), "b");
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "param.severity")), "3");
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "param.owner")), "soc");
    cr_assert_null(json_object_get(cfg, "api_key"), "no default: absent");
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);
}

Test(config_map, refuses_unknown_keys_bad_values_and_missing_required_keys_at_once)
{
    struct conf *c = parse("[sink hive]\n"          /* 1 */
                           "plugin = thehive\n"     /* 2 */
                           "timeout = soon\n"       /* 3 */
                           "verify_tls = maybe\n"   /* 4 */
                           "retries = 3x\n"         /* 5 */
                           "api_kye = x\n"          /* 6 */
                           "zzzzzz = 1\n"           /* 7 */
                           "param. = 1\n");         /* 8: a bare prefix is not a key */
    struct diags d = {0};
    json_t *cfg = NULL, *inst = NULL;
    int rc = config_map_section(c->path, conf_find(c, CONF_SINK, "hive"), keys, "plugin 'thehive'",
                                config_instance_keys, NULL, &d, &cfg, &inst);
    dump(&d);
    cr_assert_eq(rc, -1);
    cr_assert(has_msg(&d, "n.conf:3: [sink hive]: key 'timeout': 'soon' is not a duration (500ms, 30s, 5m, 1h, 1d or seconds)"));
    cr_assert(has_msg(&d, "n.conf:4: [sink hive]: key 'verify_tls': 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)"));
    cr_assert(has_msg(&d, "n.conf:5: [sink hive]: key 'retries': '3x' is not an integer"));
    cr_assert(has_msg(&d, "n.conf:6: [sink hive]: unknown key 'api_kye' for plugin 'thehive' (did you mean 'api_key'?)"));
    cr_assert(has_msg(&d, "n.conf:7: [sink hive]: unknown key 'zzzzzz' for plugin 'thehive' (known keys: url, api_key, timeout, verify_tls, retries, tags, param.*)"));
    cr_assert(has_msg(&d, "n.conf:8: [sink hive]: key 'param.' needs a name after the prefix ('param.NAME')"));
    cr_assert(has_msg(&d, "n.conf:1: [sink hive]: required key 'url' is missing (the TheHive URL)"));
    cr_assert_eq(d.n, 7);
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);
}

Test(config_map, resolves_vault_references_and_registers_them_as_secrets)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py",
                                  "hive_url = 'https://hive.example'\n"
                                  "hive_key = 'k3y-from-vault'\n"
                                  "hive_retries = 5\n"
                                  "hive_verify = False\n"
                                  "hive_tags = None\n"
                                  "broken = nope\n",
                                  &d);
    diags_free(&d);
    redact_clear(); /* only what config_map registers counts below */
    struct conf *c = parse("[sink hive]\n"
                           "plugin = thehive\n"
                           "url = vault:hive_url\n"
                           "api_key = vault:hive_key\n"
                           "retries = vault:hive_retries\n"
                           "verify_tls = vault:hive_verify\n"
                           "tags = vault:hive_tags\n");
    json_t *cfg = NULL, *inst = NULL;
    int rc = config_map_section(c->path, conf_find(c, CONF_SINK, "hive"), keys, "plugin 'thehive'",
                                config_instance_keys, v, &d, &cfg, &inst);
    dump(&d);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "url")), "https://hive.example");
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "api_key")), "k3y-from-vault");
    cr_assert_eq(json_integer_value(json_object_get(cfg, "retries")), 5);
    cr_assert(json_is_false(json_object_get(cfg, "verify_tls")));
    cr_assert_null(json_object_get(cfg, "tags"), "None counts as absent");
    char *out = redact_dup("k3y-from-vault at https://hive.example");
    cr_assert_str_eq(out, "*** at ***", "every vault-resolved value is a secret");
    free(out);
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);

    c = parse("[sink hive]\nplugin = thehive\nurl = vault:nope\napi_key = vault:broken\n");
    rc = config_map_section(c->path, conf_find(c, CONF_SINK, "hive"), keys, "plugin 'thehive'",
                            config_instance_keys, v, &d, &cfg, &inst);
    dump(&d);
    cr_assert_eq(rc, -1);
    cr_assert(has_msg(&d, "n.conf:3: [sink hive]: key 'url': no 'nope' in the vault keys.py"));
    cr_assert(has_msg(&d, "n.conf:4: [sink hive]: key 'api_key': the vault line for 'broken' has an error (reported above)"));
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);
    vault_free(v);
}

Test(config_map, vault_reference_without_a_vault_says_how_to_configure_one)
{
    struct conf *c = parse("[sink hive]\nplugin = thehive\nurl = vault:hive_url\n");
    struct diags d = {0};
    json_t *cfg = NULL, *inst = NULL;
    config_map_section(c->path, conf_find(c, CONF_SINK, "hive"), keys, "plugin 'thehive'",
                       config_instance_keys, NULL, &d, &cfg, &inst);
    cr_assert(has_msg(&d, "n.conf:3: [sink hive]: key 'url' uses vault:hive_url but no vault is loaded ([host] vault is unset or was refused)"));
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);
}

Test(config_map, secret_keys_are_registered_and_never_quoted_in_errors)
{
    static const struct nbsoar_config_key secret_int[] = {
        {"pin", NBSOAR_KEY_INT, NULL, NBSOAR_KEY_SECRET, NULL},
        {NULL, 0, NULL, 0, NULL},
    };
    struct conf *c = parse("[source s]\nplugin = p\npin = hunter22x\n");
    struct diags d = {0};
    json_t *cfg = NULL, *inst = NULL;
    config_map_section(c->path, conf_find(c, CONF_SOURCE, "s"), secret_int, "plugin 'p'",
                       config_instance_keys, NULL, &d, &cfg, &inst);
    cr_assert_eq(d.n, 1);
    cr_assert_str_eq(d.items[0].msg, "n.conf:3: [source s]: key 'pin': the value is not an integer");
    char *out = redact_dup("pin hunter22x");
    cr_assert_str_eq(out, "pin ***");
    free(out);
    json_decref(cfg);
    json_decref(inst);
    conf_free(c);
    diags_free(&d);
}

Test(config_map, host_section_has_its_own_table_and_defaults)
{
    struct conf *c = parse("[host]\nvault = keys.py\nplugin_dri = x\n");
    struct diags d = {0};
    json_t *cfg = NULL;
    int rc = config_map_section(c->path, conf_host(c), config_host_keys, "the host", NULL, NULL, &d,
                                &cfg, NULL);
    cr_assert_eq(rc, -1);
    cr_assert_str_eq(d.items[0].msg, "n.conf:3: [host]: unknown key 'plugin_dri' for the host (did you mean 'plugin_dir'?)");
    cr_assert_str_eq(json_string_value(json_object_get(cfg, "vault")), "keys.py");
    cr_assert_eq(json_integer_value(json_object_get(cfg, "workers")), 2); /* [host] workers defaults to 2 (issue 5) */
    json_decref(cfg);
    conf_free(c);
    diags_free(&d);
}

Test(config_map, durations_and_booleans)
{
    long long ms;
    cr_assert_eq(config_parse_duration_ms("500ms", &ms), 0);
    cr_assert_eq(ms, 500);
    cr_assert_eq(config_parse_duration_ms("2m", &ms), 0);
    cr_assert_eq(ms, 120000);
    cr_assert_eq(config_parse_duration_ms("1h", &ms), 0);
    cr_assert_eq(ms, 3600000);
    cr_assert_eq(config_parse_duration_ms("10", &ms), 0);
    cr_assert_eq(ms, 10000);
    cr_assert_eq(config_parse_duration_ms("-1s", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("5 parsecs", &ms), -1);
    cr_assert_eq(config_parse_duration_ms("", &ms), -1);
    int b;
    cr_assert_eq(config_parse_bool("On", &b), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(config_parse_bool("0", &b), 0);
    cr_assert_eq(b, 0);
    cr_assert_eq(config_parse_bool("nah", &b), -1);
}
