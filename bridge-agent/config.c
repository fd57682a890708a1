/* SPDX-License-Identifier: MIT */
/*
 * The site agent's configuration: schema, INI reader with file:line:key errors, overrides.
 *
 * GKeyFile's syntax, but our own small reader because GKeyFile forgets line numbers, and the part-time
 * IT officer fixing a config needs "bridge-agent.conf:7: unknown key 'sever' in [agent]". The schema
 * below is the single list of keys; configs/bridge-agent.conf documents each one (a unit test keeps
 * them in step).
 *
 * Threads: main thread while loading; read-only afterwards.
 */
#define G_LOG_DOMAIN "bridge-config"

#include "config.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (bridge-config-error-quark, bridge_config_error)

static const BridgeConfigKey schema[] = {
  { "agent", "server", BRIDGE_CONFIG_STRING, "", 0, 0,
    "base URL of the district mcu, e.g. http://10.10.0.1:8080 (the --server flag overrides it)" },
  { "agent", "room", BRIDGE_CONFIG_STRING, "", 0, 0,
    "meeting room to join, the NAME in /whip/NAME (--room)" },
  { "agent", "token", BRIDGE_CONFIG_STRING, "", 0, 0,
    "this site's token, sent as Authorization: Bearer (--token); empty = join as a guest with name" },
  { "agent", "name", BRIDGE_CONFIG_STRING, "", 0, 0,
    "guest name sent as ?name= when there is no token (--name); empty = the site id" },
  { "agent", "state-dir", BRIDGE_CONFIG_STRING, "", 0, 0,
    "folder for the persistent site id; empty = $XDG_STATE_HOME/bridge-agent" },
  { "agent", "http-timeout", BRIDGE_CONFIG_INT, "3", 1, 120,
    "seconds a WHIP request (join, ICE restart, leave) may take to reach the mcu, and the answers to all but a join" },
  { "agent", "answer-timeout", BRIDGE_CONFIG_INT, "10", 1, 120,
    "seconds the mcu's answer to a join may take once the offer is sent (long, lossy round trips)" },
  { "media", "source", BRIDGE_CONFIG_STRING, "auto", 0, 0,
    "auto = camera and microphone; test = moving pattern and tone; or a media FILE path (--source)" },
  { "media", "video-device", BRIDGE_CONFIG_STRING, "", 0, 0,
    "camera device, e.g. /dev/video0; empty = the first camera" },
  { "media", "audio-device", BRIDGE_CONFIG_STRING, "", 0, 0,
    "PulseAudio source name of the microphone; empty = the default input" },
  { "media", "width", BRIDGE_CONFIG_INT, "1280", 160, 1920,
    "video width at the top of the quality ladder (pixels)" },
  { "media", "height", BRIDGE_CONFIG_INT, "720", 90, 1080,
    "video height at the top of the quality ladder (pixels)" },
  { "media", "framerate", BRIDGE_CONFIG_INT, "30", 5, 60,
    "video frame rate at the top of the quality ladder (frames per second)" },
  { "media", "video-max-kbps", BRIDGE_CONFIG_INT, "1500", 100, 8000,
    "most video bitrate ever sent (kbit/s); the mcu's REMB and measured loss lower it" },
  { "media", "video-min-kbps", BRIDGE_CONFIG_INT, "100", 30, 2000,
    "floor: when the link allows less than this, send audio only and say so in the status" },
  { "media", "audio-kbps", BRIDGE_CONFIG_INT, "32", 8, 128,
    "Opus bitrate (kbit/s)" },
  { "media", "echo-cancel", BRIDGE_CONFIG_BOOL, "true", 0, 0,
    "cancel the loudspeakers' sound in the microphone (needed with loudspeakers)" },
  { "media", "noise-suppression", BRIDGE_CONFIG_BOOL, "true", 0, 0,
    "suppress steady background noise (fans, generators, rain on the roof)" },
  { "media", "gain-control", BRIDGE_CONFIG_BOOL, "true", 0, 0,
    "automatic microphone gain, for speakers near and far from the microphone" },
  { "show", "headless", BRIDGE_CONFIG_BOOL, "false", 0, 0,
    "no window and no loudspeaker output, for servers and tests (--headless)" },
  { "show", "audio-file", BRIDGE_CONFIG_STRING, "", 0, 0,
    "when headless: write the received meeting audio to this WAV file; empty = discard it" },
  { "show", "fullscreen", BRIDGE_CONFIG_BOOL, "true", 0, 0,
    "show the meeting full screen (false = a normal window)" },
  { "reconnect", "connect-timeout", BRIDGE_CONFIG_INT, "10", 2, 300,
    "seconds from the mcu's answer to a join until media flows both ways before the join is retried" },
  { "reconnect", "media-timeout", BRIDGE_CONFIG_INT, "3", 1, 60,
    "seconds without incoming media before the link counts as lost (the media watchdog)" },
  { "reconnect", "ice-restart-timeout", BRIDGE_CONFIG_INT, "5", 1, 60,
    "seconds an ICE restart may take to bring media back before a full re-join" },
  { "reconnect", "backoff-initial-ms", BRIDGE_CONFIG_INT, "500", 10, 60000,
    "wait before the first re-join attempt (ms); doubles after each failed attempt" },
  { "reconnect", "backoff-max-ms", BRIDGE_CONFIG_INT, "2000", 100, 600000,
    "longest wait between re-join attempts (ms); attempts go on forever; a site is back about this soon after its link returns" },
  { "reconnect", "backoff-jitter", BRIDGE_CONFIG_DOUBLE, "0.5", 0, 1,
    "random fraction taken off each wait so that sites do not all re-join at the same moment" },
  { "status", "listen", BRIDGE_CONFIG_STRING, "127.0.0.1:8089", 0, 0,
    "address:port of the local status page and /status.json (--status-listen)" },
  { "status", "language", BRIDGE_CONFIG_STRING, "vi", 0, 0,
    "language of the status page: vi (Vietnamese) or en (English)" },
};

typedef struct {
  char *value;
  char *origin; /* "file:line", "--flag" */
} Entry;

struct _BridgeConfig {
  char *origin;
  GHashTable *entries; /* "group.key" → Entry */
};

const BridgeConfigKey *
bridge_config_schema (gsize *n_keys)
{
  *n_keys = G_N_ELEMENTS (schema);
  return schema;
}

static void
entry_free (Entry *entry)
{
  g_free (entry->value);
  g_free (entry->origin);
  g_free (entry);
}

static const BridgeConfigKey *
schema_lookup (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (g_str_equal (schema[i].group, group) && (key == NULL || g_str_equal (schema[i].key, key)))
      return &schema[i];
  return NULL;
}

static gboolean
bad_value (GError **error, const char *where, const BridgeConfigKey *k, const char *what, const char *value)
{
  g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_VALUE, "%s: key '%s' in [%s] must be %s, not '%s'",
               where, k->key, k->group, what, value);
  return FALSE;
}

static gboolean
check_number (const BridgeConfigKey *k, const char *value, const char *where, GError **error)
{
  char *end = NULL;
  double v;

  errno = 0;
  if (k->type == BRIDGE_CONFIG_INT)
    v = (double) g_ascii_strtoll (value, &end, 10);
  else
    v = g_ascii_strtod (value, &end);
  if (errno != 0 || end == value || *end != '\0' || v != v)
    return bad_value (error, where, k, k->type == BRIDGE_CONFIG_INT ? "a whole number" : "a number", value);
  if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
    g_autofree char *range = g_strdup_printf ("between %g and %g", k->min, k->max);
    return bad_value (error, where, k, range, value);
  }
  return TRUE;
}

static gboolean
check_value (const BridgeConfigKey *k, const char *value, const char *where, GError **error)
{
  switch (k->type) {
    case BRIDGE_CONFIG_STRING:
      return TRUE;
    case BRIDGE_CONFIG_BOOL:
      if (g_str_equal (value, "true") || g_str_equal (value, "false"))
        return TRUE;
      return bad_value (error, where, k, "true or false", value);
    case BRIDGE_CONFIG_INT:
    case BRIDGE_CONFIG_DOUBLE:
      return check_number (k, value, where, error);
  }
  g_assert_not_reached ();
}

static gboolean
store (BridgeConfig *config, const BridgeConfigKey *k, const char *value, const char *where,
       gboolean refuse_duplicate, GError **error)
{
  g_autofree char *id = g_strdup_printf ("%s.%s", k->group, k->key);

  if (refuse_duplicate && g_hash_table_contains (config->entries, id)) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_DUPLICATE, "%s: key '%s' is set twice in [%s]",
                 where, k->key, k->group);
    return FALSE;
  }
  if (!check_value (k, value, where, error))
    return FALSE;
  Entry *entry = g_new0 (Entry, 1);
  entry->value = g_strdup (value);
  entry->origin = g_strdup (where);
  g_hash_table_replace (config->entries, g_steal_pointer (&id), entry);
  return TRUE;
}

static gboolean
open_group (BridgeConfig *config, char *text, guint line, GHashTable *seen, char **group,
            GError **error)
{
  char *close = strchr (text, ']');

  if (close == NULL || close[1] != '\0') {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_SYNTAX, "%s:%u: a group header is written [name]",
                 config->origin, line);
    return FALSE;
  }
  *close = '\0';
  g_autofree char *name = g_strstrip (g_strdup (text + 1));
  if (schema_lookup (name, NULL) == NULL) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_UNKNOWN_GROUP, "%s:%u: unknown group [%s]",
                 config->origin, line, name);
    return FALSE;
  }
  if (!g_hash_table_add (seen, g_strdup (name))) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_DUPLICATE, "%s:%u: group [%s] appears twice",
                 config->origin, line, name);
    return FALSE;
  }
  g_free (*group);
  *group = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
add_entry (BridgeConfig *config, const char *group, const char *text, guint line, GError **error)
{
  const char *eq = strchr (text, '=');
  g_autofree char *where = g_strdup_printf ("%s:%u", config->origin, line);

  if (group == NULL) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_SYNTAX, "%s: key before any [group]", where);
    return FALSE;
  }
  if (eq == NULL) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_SYNTAX, "%s: expected 'key = value' or '[group]'",
                 where);
    return FALSE;
  }
  g_autofree char *key = g_strstrip (g_strndup (text, eq - text));
  g_autofree char *value = g_strstrip (g_strdup (eq + 1));
  const BridgeConfigKey *k = schema_lookup (group, key);
  if (k == NULL) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_UNKNOWN_KEY, "%s: unknown key '%s' in [%s]", where,
                 key, group);
    return FALSE;
  }
  return store (config, k, value, where, TRUE, error);
}

static gboolean
parse (BridgeConfig *config, const char *data, gsize len, GError **error)
{
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL)) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_SYNTAX, "%s: not a UTF-8 text file",
                 config->origin);
    return FALSE;
  }
  g_autofree char *copy = g_strndup (data, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++) {
    char *text = g_strstrip (lines[i]);
    if (*text == '\0' || *text == '#' || *text == ';')
      continue;
    gboolean ok = *text == '[' ? open_group (config, text, i + 1, seen, &group, error)
                               : add_entry (config, group, text, i + 1, error);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

BridgeConfig *
bridge_config_new (void)
{
  BridgeConfig *config = g_new0 (BridgeConfig, 1);

  config->origin = g_strdup ("defaults");
  config->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  return config;
}

BridgeConfig *
bridge_config_load_data (const char *data, gsize len, const char *origin, GError **error)
{
  g_autoptr (BridgeConfig) config = bridge_config_new ();

  g_free (config->origin);
  config->origin = g_strdup (origin);
  if (!parse (config, data, len, error))
    return NULL;
  return g_steal_pointer (&config);
}

BridgeConfig *
bridge_config_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local)) {
    g_set_error (error, BRIDGE_CONFIG_ERROR, BRIDGE_CONFIG_ERROR_IO, "%s", local->message);
    return NULL;
  }
  return bridge_config_load_data (data, len, path, error);
}

void
bridge_config_free (BridgeConfig *config)
{
  g_hash_table_unref (config->entries);
  g_free (config->origin);
  g_free (config);
}

gboolean
bridge_config_set (BridgeConfig *config, const char *group, const char *key, const char *value,
                   const char *origin, GError **error)
{
  const BridgeConfigKey *k = schema_lookup (group, key);

  g_return_val_if_fail (k != NULL, FALSE);
  return store (config, k, value, origin, FALSE, error);
}

static const Entry *
lookup (const BridgeConfig *config, const char *group, const char *key, const BridgeConfigKey **k)
{
  g_autofree char *id = g_strdup_printf ("%s.%s", group, key);

  *k = schema_lookup (group, key);
  if (*k == NULL) {
    g_critical ("config key '%s' in [%s] is not in the schema", key, group);
    return NULL;
  }
  return g_hash_table_lookup (config->entries, id);
}

const char *
bridge_config_get_string (const BridgeConfig *config, const char *group, const char *key)
{
  const BridgeConfigKey *k = NULL;
  const Entry *entry = lookup (config, group, key, &k);

  if (k == NULL)
    return "";
  return entry ? entry->value : k->default_value;
}

gint64
bridge_config_get_int (const BridgeConfig *config, const char *group, const char *key)
{
  return g_ascii_strtoll (bridge_config_get_string (config, group, key), NULL, 10);
}

gboolean
bridge_config_get_bool (const BridgeConfig *config, const char *group, const char *key)
{
  return g_str_equal (bridge_config_get_string (config, group, key), "true");
}

double
bridge_config_get_double (const BridgeConfig *config, const char *group, const char *key)
{
  return g_ascii_strtod (bridge_config_get_string (config, group, key), NULL);
}

const char *
bridge_config_get_origin (const BridgeConfig *config, const char *group, const char *key)
{
  const BridgeConfigKey *k = NULL;
  const Entry *entry = lookup (config, group, key, &k);

  return entry ? entry->origin : "default";
}
