/* SPDX-License-Identifier: MIT */
/* Unit tests for the agent's configuration: defaults, overrides, errors naming file:line:key, the sample
 * configs/bridge-agent.conf documenting every key, the status address parser and the site identity. */
#include "config.h"
#include "identity.h"
#include "status.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mcu-build-config.h"

static BridgeConfig *
load (const char *text, GError **error)
{
  return bridge_config_load_data (text, strlen (text), "site.conf", error);
}

static void
test_defaults_and_values (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BridgeConfig) c = load ("# site\n[agent]\nserver = http://10.0.0.1:8080\nroom = hop\n\n"
                                     "[reconnect]\nbackoff-jitter = 0.25\n[show]\nheadless = true\n", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (bridge_config_get_string (c, "agent", "server"), ==, "http://10.0.0.1:8080");
  g_assert_cmpstr (bridge_config_get_origin (c, "agent", "room"), ==, "site.conf:4");
  g_assert_cmpstr (bridge_config_get_string (c, "media", "source"), ==, "auto");
  g_assert_cmpstr (bridge_config_get_origin (c, "media", "source"), ==, "default");
  g_assert_cmpstr (bridge_config_get_string (c, "status", "listen"), ==, "127.0.0.1:8089");
  g_assert_cmpint (bridge_config_get_int (c, "reconnect", "media-timeout"), ==, 3);
  g_assert_cmpfloat (bridge_config_get_double (c, "reconnect", "backoff-jitter"), ==, 0.25);
  g_assert_true (bridge_config_get_bool (c, "show", "headless"));
  g_assert_true (bridge_config_get_bool (c, "media", "echo-cancel"));
}

static void
test_override (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BridgeConfig) c = load ("[agent]\nroom = a\n", &error);

  g_assert_true (bridge_config_set (c, "agent", "room", "b", "--room", &error));
  g_assert_cmpstr (bridge_config_get_string (c, "agent", "room"), ==, "b");
  g_assert_cmpstr (bridge_config_get_origin (c, "agent", "room"), ==, "--room");
  g_assert_false (bridge_config_set (c, "show", "headless", "maybe", "--headless", &error));
  g_assert_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "--headless"));
  g_autoptr (BridgeConfig) d = bridge_config_new ();
  g_assert_cmpstr (bridge_config_get_string (d, "agent", "server"), ==, "");
}

typedef struct {
  const char *text;
  BridgeConfigError code;
  const char *message;
} BadCase;

static const BadCase bad_cases[] = {
  { "[agent]\nsever = http://x\n", BRIDGE_CONFIG_ERROR_UNKNOWN_KEY, "site.conf:2: unknown key 'sever' in [agent]" },
  { "[agent]\n[server]\n", BRIDGE_CONFIG_ERROR_UNKNOWN_GROUP, "site.conf:2: unknown group [server]" },
  { "room = x\n", BRIDGE_CONFIG_ERROR_SYNTAX, "site.conf:1: key before any [group]" },
  { "[agent]\nroom\n", BRIDGE_CONFIG_ERROR_SYNTAX, "site.conf:2: expected 'key = value'" },
  { "[agent\n", BRIDGE_CONFIG_ERROR_SYNTAX, "site.conf:1: a group header" },
  { "[agent]\n[agent]\n", BRIDGE_CONFIG_ERROR_DUPLICATE, "site.conf:2: group [agent] appears twice" },
  { "[agent]\nroom = a\nroom = b\n", BRIDGE_CONFIG_ERROR_DUPLICATE, "site.conf:3: key 'room' is set twice" },
  { "[reconnect]\nmedia-timeout = soon\n", BRIDGE_CONFIG_ERROR_VALUE, "site.conf:2: key 'media-timeout' in [reconnect] must be a whole number" },
  { "[reconnect]\nmedia-timeout = 0\n", BRIDGE_CONFIG_ERROR_VALUE, "must be between 1 and 60" },
  { "[reconnect]\nbackoff-jitter = 1.5\n", BRIDGE_CONFIG_ERROR_VALUE, "must be between 0 and 1" },
  { "[reconnect]\nbackoff-jitter = nan\n", BRIDGE_CONFIG_ERROR_VALUE, "backoff-jitter" },
  { "[media]\nwidth = 99999999999999999999999\n", BRIDGE_CONFIG_ERROR_VALUE, "whole number" },
  { "[media]\necho-cancel = yes\n", BRIDGE_CONFIG_ERROR_VALUE, "site.conf:2: key 'echo-cancel' in [media] must be true or false" },
  { "[agent]\nname = \xff\xfe\n", BRIDGE_CONFIG_ERROR_SYNTAX, "not a UTF-8" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *bad = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (BridgeConfig) c = load (bad->text, &error);

  g_assert_null (c);
  g_assert_error (error, BRIDGE_CONFIG_ERROR, (gint) bad->code);
  if (strstr (error->message, bad->message) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, bad->message);
}

static void
test_nul_and_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BridgeConfig) c = bridge_config_load_data ("[agent]\0x", 9, "nul.conf", &error);

  g_assert_null (c);
  g_assert_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_SYNTAX);
  g_clear_error (&error);
  g_autoptr (BridgeConfig) m = bridge_config_load_file ("/nonexistent/agent.conf", &error);
  g_assert_null (m);
  g_assert_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/agent.conf"));
}

/* The sample is the site's IT officer's reference: it must load and show every key with its default. */
static void
test_sample_documents_schema (void)
{
  g_autofree char *path = g_build_filename (MCU_SOURCE_DIR, "configs", "bridge-agent.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  const BridgeConfigKey *schema = bridge_config_schema (&n);

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_autoptr (BridgeConfig) c = bridge_config_load_file (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  for (gsize i = 0; i < n; i++) {
    g_autofree char *as_key = g_strchomp (g_strdup_printf ("# %s = %s", schema[i].key, schema[i].default_value));
    g_autofree char *group = g_strdup_printf ("[%s]", schema[i].group);
    if (strstr (text, schema[i].help) == NULL)
      g_error ("configs/bridge-agent.conf does not explain [%s] %s: add \"%s\"", schema[i].group, schema[i].key,
               schema[i].help);
    if (strstr (text, as_key) == NULL || strstr (text, group) == NULL)
      g_error ("configs/bridge-agent.conf does not show [%s] %s with its default: add \"%s\"", schema[i].group,
               schema[i].key, as_key);
    /* Every default passes its own validation. */
    g_autoptr (BridgeConfig) d = bridge_config_new ();
    g_assert_true (bridge_config_set (d, schema[i].group, schema[i].key, schema[i].default_value, "default", &error));
  }
}

static void
test_parse_listen (void)
{
  guint16 port = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *a = bridge_parse_listen ("127.0.0.1:8089", &port, &error);
  g_assert_cmpstr (a, ==, "127.0.0.1");
  g_assert_cmpuint (port, ==, 8089);
  g_autofree char *b = bridge_parse_listen ("[::1]:0", &port, &error);
  g_assert_cmpstr (b, ==, "::1");
  g_assert_cmpuint (port, ==, 0);
  const char *bad[] = { "nowhere", ":80", "host:80", "1.2.3.4:99999", "1.2.3.4:x", "[]:1", "", "[:1" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    char *r = bridge_parse_listen (bad[i], &port, &error);
    g_assert_null (r);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  g_assert_null (bridge_parse_listen (NULL, &port, &error));
}

static void
test_identity (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("agent-id-XXXXXX", &error);
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *file = g_build_filename (state, "site-id", NULL);

  g_autofree char *first = bridge_site_identity_load (state, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (first), ==, 36);
  g_autofree char *second = bridge_site_identity_load (state, &error);
  g_assert_cmpstr (first, ==, second); /* persistent */
  g_assert_true (g_file_set_contents (file, "../../etc/passwd\n", -1, NULL));
  g_test_expect_message ("bridge-identity", G_LOG_LEVEL_WARNING, "*does not hold a site id*");
  g_autofree char *third = bridge_site_identity_load (state, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpstr (third, !=, first);
  g_assert_null (strchr (third, '/'));
  g_autofree char *blocked = g_build_filename (file, "x", NULL); /* a file where a folder must be */
  g_autofree char *none = bridge_site_identity_load (blocked, &error);
  g_assert_null (none);
  g_assert_nonnull (error);
  g_unlink (file);
  g_rmdir (state);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/config/defaults", test_defaults_and_values);
  g_test_add_func ("/agent/config/override", test_override);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *name = g_strdup_printf ("/agent/config/bad/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &bad_cases[i], test_bad);
  }
  g_test_add_func ("/agent/config/nul-and-missing", test_nul_and_missing);
  g_test_add_func ("/agent/config/sample-documents-schema", test_sample_documents_schema);
  g_test_add_func ("/agent/config/parse-listen", test_parse_listen);
  g_test_add_func ("/agent/config/identity", test_identity);
  return g_test_run ();
}
