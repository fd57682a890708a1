/* SPDX-License-Identifier: MIT */
/* Unit tests for McuConfig: parsing, validation messages (file, line, key), defaults, and that the
 * sample configs/mcu.conf documents every key of the schema. */
#include "config.h"
#include "conference/mix.h"

#include <string.h>

#include "mcu-build-config.h"

static McuConfig *
load (const char *text, GError **error)
{
  return mcu_config_load_data (text, strlen (text), "test.conf", error);
}

static void
test_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) config = load ("[server]\nname = X\n\n[room a]\nguests = true\n", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (mcu_config_get_string (config, "server", "name"), ==, "X");
  g_assert_cmpstr (mcu_config_get_string (config, "server", "http"), ==, "127.0.0.1:8080");
  g_assert_true (mcu_config_get_bool (config, "room a", "guests"));
  g_assert_cmpint (mcu_config_get_int (config, "room a", "max-sites"), ==, 100);
  g_assert_cmpstr (mcu_config_get_string (config, "room a", "mode"), ==, "mix");
  g_assert_true (mcu_config_has (config, "room a", "guests"));
  g_assert_false (mcu_config_has (config, "room a", "mode"));
  g_assert_cmpuint (mcu_config_get_line (config, "room a", "guests"), ==, 5);
}

static void
test_list_rooms (void)
{
  g_autoptr (McuConfig) config = load ("[room b]\n[room a]\n[server]\n[room c]\n", NULL);
  g_autofree const char **rooms = mcu_config_list (config, "room");

  g_assert_nonnull (config);
  g_assert_cmpuint (g_strv_length ((char **) rooms), ==, 3);
  g_assert_cmpstr (rooms[0], ==, "b");
  g_assert_cmpstr (rooms[2], ==, "c");
}

typedef struct {
  const char *text;
  McuConfigError code;
  const char *message; /* a substring the operator must see */
} BadCase;

static const BadCase bad_cases[] = {
  { "[server]\nbogus = 1\n", MCU_CONFIG_ERROR_UNKNOWN_KEY, "test.conf:2: unknown key 'bogus' in [server]" },
  { "# c\n[nonsense]\n", MCU_CONFIG_ERROR_UNKNOWN_GROUP, "test.conf:2: unknown group [nonsense]" },
  { "[room]\n", MCU_CONFIG_ERROR_SYNTAX, "test.conf:1: group [room] needs a name" },
  { "[]\n", MCU_CONFIG_ERROR_UNKNOWN_GROUP, "test.conf:1: unknown group []" },
  { "[server x]\n", MCU_CONFIG_ERROR_SYNTAX, "takes no name" },
  { "name = x\n", MCU_CONFIG_ERROR_SYNTAX, "test.conf:1: key before any [group]" },
  { "[server]\njust words\n", MCU_CONFIG_ERROR_SYNTAX, "test.conf:2: expected 'key = value'" },
  { "[server\n", MCU_CONFIG_ERROR_SYNTAX, "test.conf:1: a group header" },
  { "[room a]\nmax-sites = many\n", MCU_CONFIG_ERROR_VALUE, "test.conf:2: key 'max-sites' must be a whole" },
  { "[room a]\nmax-sites = 0\n", MCU_CONFIG_ERROR_VALUE, "must be between 1 and 1000" },
  { "[room a]\nmax-sites = 99999999999999999999999\n", MCU_CONFIG_ERROR_VALUE, "whole number" },
  { "[room a]\nguests = yes\n", MCU_CONFIG_ERROR_VALUE, "key 'guests' must be true or false" },
  { "[room a]\nguests = true\nguests = false\n", MCU_CONFIG_ERROR_DUPLICATE, "test.conf:3: key 'guests' is set twice" },
  { "[room a]\n[room a]\n", MCU_CONFIG_ERROR_DUPLICATE, "test.conf:2: group [room a] appears twice" },
  { "[server]\nname = \xff\xfe\n", MCU_CONFIG_ERROR_SYNTAX, "not a UTF-8" },
};

static void
test_bad (gconstpointer data)
{
  const BadCase *bad = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) config = load (bad->text, &error);

  g_assert_null (config);
  g_assert_error (error, MCU_CONFIG_ERROR, (gint) bad->code);
  if (strstr (error->message, bad->message) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, bad->message);
}

static void
test_nul_byte (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) config = mcu_config_load_data ("[server]\0x", 10, "nul.conf", &error);

  g_assert_null (config);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX);
}

static void
test_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (McuConfig) config = mcu_config_load_file ("/nonexistent/mcu.conf", &error);

  g_assert_null (config);
  g_assert_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/mcu.conf"));
}

/* The sample config is the operator's reference: it must load and name every key with its default. */
static void
test_sample_documents_schema (void)
{
  g_autofree char *path = g_build_filename (MCU_SOURCE_DIR, "configs", "mcu.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  const McuConfigKey *schema = mcu_config_schema (&n);

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_autoptr (McuConfig) config = mcu_config_load_file (path, &error);
  g_assert_no_error (error);
  g_autofree const char **rooms = mcu_config_list (config, "room");
  g_assert_true (g_strv_contains ((const char *const *) rooms, "demo"));
  g_assert_true (g_strv_contains ((const char *const *) rooms, "echo"));
  g_assert_cmpstr (mcu_config_get_string (config, "room echo", "mode"), ==, "echo");
  g_assert_true (mcu_config_get_bool (config, "room demo", "guests"));

  for (gsize i = 0; i < n; i++) {
    g_autofree char *as_key = g_strchomp (g_strdup_printf ("# %s = %s", schema[i].key,
                                                        schema[i].default_value));
    if (strstr (text, schema[i].help) == NULL)
      g_error ("configs/mcu.conf does not explain [%s] %s: add \"%s\"", schema[i].kind, schema[i].key,
               schema[i].help);
    if (strstr (text, as_key) == NULL)
      g_error ("configs/mcu.conf does not show [%s] %s with its default: add \"%s\"", schema[i].kind,
               schema[i].key, as_key);
  }
}

/* The mixers' settings: tiers are read and checked with the line of the key in the message. */
static void
test_mix_settings (void)
{
  g_autoptr (GError) error = NULL;
  McuMixConfig mix;
  g_autoptr (McuConfig) good = load ("[video]\ntiers = 640x360@15:500000, 320x180@10:150000\nstart-tier = 3\n"
                                     "[audio]\ntalkers = 5\n", &error);

  g_assert_true (mcu_mix_config_load (&mix, good, &error));
  g_assert_cmpuint (mix.video.n_tiers, ==, 2);
  g_assert_cmpint (mix.video.tiers[1].width, ==, 320);
  g_assert_cmpuint (mix.video.tiers[1].fps, ==, 10);
  g_assert_cmpuint (mix.start_tier, ==, 1);   /* clamped to the tiers there are */
  g_assert_cmpuint (mix.audio.talkers, ==, 5);

  static const char *bad[] = { "640x360", "640x360@15:500000, junk", "641x360@15:500000", "0x0@1:1",
                               "a,b,c,d,e", "640x360@15:500000 extra" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *text = g_strdup_printf ("\n[video]\ntiers = %s\n", bad[i]);
    g_autoptr (McuConfig) config = load (text, NULL);
    g_autoptr (GError) local = NULL;
    g_assert_false (mcu_mix_config_load (&mix, config, &local));
    g_assert_error (local, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE);
    g_assert_nonnull (strstr (local->message, "test.conf:3: key 'tiers'"));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add_func ("/config/list-rooms", test_list_rooms);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    g_autofree char *name = g_strdup_printf ("/config/bad/%" G_GSIZE_FORMAT, i);
    g_test_add_data_func (name, &bad_cases[i], test_bad);
  }
  g_test_add_func ("/config/nul-byte", test_nul_byte);
  g_test_add_func ("/config/missing-file", test_missing_file);
  g_test_add_func ("/config/sample-documents-schema", test_sample_documents_schema);
  g_test_add_func ("/config/mix-settings", test_mix_settings);
  return g_test_run ();
}
