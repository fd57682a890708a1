/* SPDX-License-Identifier: MIT */
/*
 * Configuration loading and validation.
 *
 * GKeyFile's syntax, but our own small reader, because GKeyFile forgets line numbers and an operator
 * fixing a config at 7:30 needs "mcu.conf:14: unknown key 'talker' in [audio]", not "invalid key".
 * The schema below is the single list of keys: configs/mcu.conf must document each of them (a unit
 * test keeps the two in step).
 *
 * Threads: a loaded McuConfig is immutable; share it with mcu_config_ref().
 */
#define G_LOG_DOMAIN "mcu-config"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (mcu-config-error-quark, mcu_config_error)

static const McuConfigKey schema[] = {
  { "server", "http", MCU_CONFIG_STRING, "127.0.0.1:8080", 0, 0,
    "address:port of the HTTP API, console and WHIP endpoint (the --http flag overrides it)" },
  { "server", "name", MCU_CONFIG_STRING, "MCU", 0, 0,
    "name shown in the console's title bar" },
  { "server", "admin-token", MCU_CONFIG_STRING, "", 0, 0,
    "Bearer token for the admin API; empty disables the admin API" },
  { "server", "seat-grace", MCU_CONFIG_INT, "60", 0, 3600,
    "seconds a site that dropped keeps its seat (tile, mute, raised hand) for its re-join" },
  { "server", "state-file", MCU_CONFIG_STRING, "", 0, 0,
    "JSON file keeping API-created rooms and sites across restarts; empty = next to this file (NAME.state.json)" },
  { "server", "link-history-seconds", MCU_CONFIG_INT, "10800", 60, 86400,
    "seconds of per-site link history kept for the meeting report (one sample a second)" },
  { "ice", "addresses", MCU_CONFIG_STRING, "", 0, 0,
    "local IP addresses to offer as ICE candidates, comma-separated; empty = every interface's at start "
    "but loopback and IPv6 link-local (plus 127.0.0.1 when the HTTP address is loopback)" },
  { "ice", "public-address", MCU_CONFIG_STRING, "", 0, 0,
    "the server's public IP when it sits behind a 1:1 NAT; offered as an extra candidate" },
  { "ice", "stun-server", MCU_CONFIG_STRING, "", 0, 0,
    "STUN server as host:port, for server-reflexive candidates; empty = none" },
  { "ice", "turn-server", MCU_CONFIG_STRING, "", 0, 0,
    "TURN server as host:port (UDP), for relayed candidates; empty = none" },
  { "ice", "turn-username", MCU_CONFIG_STRING, "", 0, 0,
    "TURN user name" },
  { "ice", "turn-password", MCU_CONFIG_STRING, "", 0, 0,
    "TURN password" },
  { "ice", "tcp", MCU_CONFIG_BOOL, "true", 0, 0,
    "also offer passive ICE-TCP candidates, for sites whose networks block UDP" },
  { "ice", "lite", MCU_CONFIG_BOOL, "true", 0, 0,
    "one port per room for all its sites (ICE-lite: the server answers the sites' checks itself and reads "
    "many packets per system call; far less CPU with many sites); tcp then listens on the same port number; "
    "port-min/port-max give each room its port; stun-server and turn-server apply only with lite = false "
    "(a libnice agent per site)" },
  { "ice", "consent-freshness", MCU_CONFIG_BOOL, "false", 0, 0,
    "RFC 7675 consent checks; off by default: with libnice a 10 s link flap then loses the site's media "
    "for good (a site that sends nothing for 30 s is dropped anyway)" },
  { "ice", "port-min", MCU_CONFIG_INT, "0", 0, 65535,
    "lowest UDP port for media; 0 = any (set a range to open in a firewall)" },
  { "ice", "port-max", MCU_CONFIG_INT, "0", 0, 65535,
    "highest UDP port for media; 0 = any" },
  { "dtls", "certificate", MCU_CONFIG_STRING, "", 0, 0,
    "PEM certificate for DTLS; empty = a new ECDSA P-256 certificate at each start" },
  { "dtls", "private-key", MCU_CONFIG_STRING, "", 0, 0,
    "PEM private key of that certificate" },
  { "dtls", "handshake-timeout", MCU_CONFIG_INT, "10", 1, 120,
    "seconds a site has to finish the DTLS handshake (from its offer, or from ICE connecting when later) before it is dropped" },
  { "audio", "talkers", MCU_CONFIG_INT, "3", 1, 16,
    "how many of the loudest sites are heard at once" },
  { "audio", "noise-floor", MCU_CONFIG_DOUBLE, "-50", 0, 0,
    "level in dBov below which a site is never taken for a talker (room noise, hiss)" },
  { "audio", "hangover-ms", MCU_CONFIG_INT, "500", 0, 5000,
    "a talker stays in the mix this long after going quiet, so speech is not chopped" },
  { "audio", "bitrate", MCU_CONFIG_INT, "40000", 12000, 128000,
    "bit/s of the Opus mix each site receives" },
  { "video", "tiers", MCU_CONFIG_STRING, "1280x720@25:1200000, 640x360@25:500000, 320x180@25:150000", 0, 0,
    "output sizes of the composite, WIDTHxHEIGHT@FPS:BITRATE, largest first (at most 4)" },
  { "video", "start-tier", MCU_CONFIG_INT, "1", 0, 3,
    "tier a site receives when it joins (0 = the first); it moves with its link afterwards" },
  { "video", "cpu-used", MCU_CONFIG_INT, "-6", -16, -1,
    "libvpx speed of the composite encoders: -6 (better) to -8 (cheaper)" },
  { "video", "talker-hold-ms", MCU_CONFIG_INT, "2000", 0, 60000,
    "the main tile changes to a new talker at most this often" },
  { "video", "rotation-interval", MCU_CONFIG_INT, "15", 0, 3600,
    "seconds between rotations of the small tiles when there are more sites than tiles; 0 = never" },
  { "video", "thumbnail-tier", MCU_CONFIG_STRING, "320x180@5:60000", 0, 0,
    "the degradation ladder's low-frame-rate rung below the tiers, WIDTHxHEIGHT@FPS:BITRATE; none = no such rung" },
  { "video", "audio-only-tier", MCU_CONFIG_STRING, "320x180@1:20000", 0, 0,
    "the ladder's last rung: full audio and a still of the composite marked \"audio only\"; none = no such rung" },
  { "video", "ladder-loss-down", MCU_CONFIG_INT, "8", 1, 50,
    "percent of our video a site reports lost (smoothed) that moves it a rung down the ladder" },
  { "video", "ladder-up-seconds", MCU_CONFIG_INT, "10", 1, 600,
    "clean seconds before a site moves a rung up (doubled after a failed try, up to 8 times)" },
  { "room", "title", MCU_CONFIG_STRING, "", 0, 0,
    "title shown to sites and in the console (default: the room's name)" },
  { "room", "mode", MCU_CONFIG_STRING, "mix", 0, 0,
    "mix = continuous-presence meeting; echo = each site gets its own media back (a pre-meeting test)" },
  { "room", "guests", MCU_CONFIG_BOOL, "false", 0, 0,
    "whether sites without a token may join with ?name=" },
  { "room", "max-sites", MCU_CONFIG_INT, "100", 1, 1000,
    "most sites connected at once" },
  { "room", "layout", MCU_CONFIG_STRING, "auto", 0, 0,
    "video layout at start: auto, 1x1, 2x2, 3x3, 4x4, 5x5, 1+5, 1+7 or 1+12" },
  { "site", "room", MCU_CONFIG_STRING, "", 0, 0,
    "the room this site joins" },
  { "site", "name", MCU_CONFIG_STRING, "", 0, 0,
    "display name on the site's tile and in the console (default: the site's ID)" },
  { "site", "token", MCU_CONFIG_STRING, "", 0, 0,
    "the site's secret (at least 8 characters): the agent sends it as Authorization: Bearer" },
};

const McuConfigKey *
mcu_config_schema (gsize *n_keys)
{
  *n_keys = G_N_ELEMENTS (schema);
  return schema;
}

typedef struct {
  char *value;
  guint line;
} Entry;

typedef struct {
  char *kind;
  char *name;         /* NULL for singleton groups */
  GHashTable *entries; /* key → Entry */
} Group;

struct _McuConfig {
  gatomicrefcount rc;
  char *origin;
  GPtrArray *groups;    /* Group*, file order */
  GHashTable *by_id;    /* "kind" or "kind name" → Group* */
};

static void
entry_free (Entry *entry)
{
  g_free (entry->value);
  g_free (entry);
}

static void
group_free (Group *group)
{
  g_free (group->kind);
  g_free (group->name);
  g_hash_table_unref (group->entries);
  g_free (group);
}

static const McuConfigKey *
schema_lookup (const char *kind, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schema); i++)
    if (g_str_equal (schema[i].kind, kind) && (key == NULL || g_str_equal (schema[i].key, key)))
      return &schema[i];
  return NULL;
}

static gboolean
kind_is_named (const char *kind)
{
  return g_str_equal (kind, "room") || g_str_equal (kind, "site");
}

static gboolean
check_value (const McuConfigKey *k, const char *value, const char *origin, guint line, GError **error)
{
  char *end = NULL;

  switch (k->type) {
    case MCU_CONFIG_STRING:
      return TRUE;
    case MCU_CONFIG_BOOL:
      if (g_str_equal (value, "true") || g_str_equal (value, "false"))
        return TRUE;
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                   "%s:%u: key '%s' must be true or false, not '%s'", origin, line, k->key, value);
      return FALSE;
    case MCU_CONFIG_INT: {
      errno = 0;
      gint64 v = g_ascii_strtoll (value, &end, 10);
      if (errno != 0 || end == value || *end != '\0') {
        g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                     "%s:%u: key '%s' must be a whole number, not '%s'", origin, line, k->key, value);
        return FALSE;
      }
      if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
        g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                     "%s:%u: key '%s' must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                     ", not %s", origin, line, k->key, k->min, k->max, value);
        return FALSE;
      }
      return TRUE;
    }
    case MCU_CONFIG_DOUBLE:
      errno = 0;
      g_ascii_strtod (value, &end);
      if (errno != 0 || end == value || *end != '\0') {
        g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                     "%s:%u: key '%s' must be a number, not '%s'", origin, line, k->key, value);
        return FALSE;
      }
      return TRUE;
  }
  g_assert_not_reached ();
}

static Group *
open_group (McuConfig *config, const char *header, guint line, GError **error)
{
  g_autofree char *text = g_strstrip (g_strdup (header));
  g_auto (GStrv) words = g_strsplit_set (text, " \t", 2);
  const char *kind = words[0] ? words[0] : "";
  const char *name = kind[0] && words[1] ? g_strstrip (words[1]) : NULL;

  if (!schema_lookup (kind, NULL)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_UNKNOWN_GROUP,
                 "%s:%u: unknown group [%s]", config->origin, line, text);
    return NULL;
  }
  if (kind_is_named (kind) != (name != NULL && *name != '\0')) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX,
                 kind_is_named (kind) ? "%s:%u: group [%s] needs a name, as in [%s NAME]"
                                      : "%s:%u: group [%s] takes no name (write [%s])",
                 config->origin, line, text, kind);
    return NULL;
  }
  g_autofree char *id = name ? g_strdup_printf ("%s %s", kind, name) : g_strdup (kind);
  if (g_hash_table_contains (config->by_id, id)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_DUPLICATE,
                 "%s:%u: group [%s] appears twice", config->origin, line, id);
    return NULL;
  }
  Group *group = g_new0 (Group, 1);
  group->kind = g_strdup (kind);
  group->name = g_strdup (name);
  group->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) entry_free);
  g_ptr_array_add (config->groups, group);
  g_hash_table_insert (config->by_id, g_steal_pointer (&id), group);
  return group;
}

static gboolean
add_entry (McuConfig *config, Group *group, const char *line_text, guint line, GError **error)
{
  const char *eq = strchr (line_text, '=');

  if (group == NULL) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX,
                 "%s:%u: key before any [group]", config->origin, line);
    return FALSE;
  }
  if (eq == NULL) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX,
                 "%s:%u: expected 'key = value' or '[group]'", config->origin, line);
    return FALSE;
  }
  g_autofree char *key = g_strstrip (g_strndup (line_text, eq - line_text));
  g_autofree char *value = g_strstrip (g_strdup (eq + 1));
  const McuConfigKey *k = schema_lookup (group->kind, key);
  if (k == NULL) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_UNKNOWN_KEY,
                 "%s:%u: unknown key '%s' in [%s]", config->origin, line, key, group->kind);
    return FALSE;
  }
  if (g_hash_table_contains (group->entries, key)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_DUPLICATE,
                 "%s:%u: key '%s' is set twice in [%s]", config->origin, line, key, group->kind);
    return FALSE;
  }
  if (!check_value (k, value, config->origin, line, error))
    return FALSE;
  Entry *entry = g_new0 (Entry, 1);
  entry->value = g_steal_pointer (&value);
  entry->line = line;
  g_hash_table_insert (group->entries, g_steal_pointer (&key), entry);
  return TRUE;
}

static gboolean
parse (McuConfig *config, const char *data, gsize len, GError **error)
{
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX,
                 "%s: not a UTF-8 text file", config->origin);
    return FALSE;
  }
  g_autofree char *copy = g_strndup (data, len);
  g_auto (GStrv) lines = g_strsplit (copy, "\n", -1);
  Group *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++) {
    char *text = g_strstrip (lines[i]);
    guint line = i + 1;
    if (*text == '\0' || *text == '#' || *text == ';')
      continue;
    if (*text == '[') {
      char *close = strchr (text, ']');
      if (close == NULL || close[1] != '\0') {
        g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_SYNTAX,
                     "%s:%u: a group header is written [name]", config->origin, line);
        return FALSE;
      }
      *close = '\0';
      if ((group = open_group (config, text + 1, line, error)) == NULL)
        return FALSE;
      continue;
    }
    if (!add_entry (config, group, text, line, error))
      return FALSE;
  }
  return TRUE;
}

McuConfig *
mcu_config_load_data (const char *data, gsize len, const char *origin, GError **error)
{
  g_autoptr (McuConfig) config = g_new0 (McuConfig, 1);

  g_atomic_ref_count_init (&config->rc);
  config->origin = g_strdup (origin);
  config->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  config->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!parse (config, data, len, error))
    return NULL;
  return g_steal_pointer (&config);
}

McuConfig *
mcu_config_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_IO, "%s", local->message);
    return NULL;
  }
  return mcu_config_load_data (data, len, path, error);
}

McuConfig *
mcu_config_ref (McuConfig *config)
{
  g_atomic_ref_count_inc (&config->rc);
  return config;
}

void
mcu_config_unref (McuConfig *config)
{
  if (!g_atomic_ref_count_dec (&config->rc))
    return;
  g_ptr_array_unref (config->groups);
  g_hash_table_unref (config->by_id);
  g_free (config->origin);
  g_free (config);
}

const char *
mcu_config_get_origin (McuConfig *config)
{
  return config->origin;
}

const char **
mcu_config_list (McuConfig *config, const char *kind)
{
  GPtrArray *names = g_ptr_array_new ();

  for (guint i = 0; i < config->groups->len; i++) {
    Group *group = g_ptr_array_index (config->groups, i);
    if (group->name != NULL && g_str_equal (group->kind, kind))
      g_ptr_array_add (names, group->name);
  }
  g_ptr_array_add (names, NULL);
  return (const char **) g_ptr_array_free (names, FALSE);
}

static const McuConfigKey *
lookup (McuConfig *config, const char *group_id, const char *key, Entry **entry)
{
  g_autofree char *kind = g_strdup (group_id);
  char *space = strchr (kind, ' ');
  if (space)
    *space = '\0';
  const McuConfigKey *k = schema_lookup (kind, key);
  if (k == NULL) {
    g_critical ("config key '%s' in [%s] is not in the schema", key, kind);
    return NULL;
  }
  Group *group = g_hash_table_lookup (config->by_id, group_id);
  *entry = group ? g_hash_table_lookup (group->entries, key) : NULL;
  return k;
}

const char *
mcu_config_get_string (McuConfig *config, const char *group, const char *key)
{
  Entry *entry = NULL;
  const McuConfigKey *k = lookup (config, group, key, &entry);
  if (k == NULL)
    return "";
  return entry ? entry->value : k->default_value;
}

gint64
mcu_config_get_int (McuConfig *config, const char *group, const char *key)
{
  return g_ascii_strtoll (mcu_config_get_string (config, group, key), NULL, 10);
}

gboolean
mcu_config_get_bool (McuConfig *config, const char *group, const char *key)
{
  return g_str_equal (mcu_config_get_string (config, group, key), "true");
}

double
mcu_config_get_double (McuConfig *config, const char *group, const char *key)
{
  return g_ascii_strtod (mcu_config_get_string (config, group, key), NULL);
}

gboolean
mcu_config_has (McuConfig *config, const char *group, const char *key)
{
  return mcu_config_get_line (config, group, key) != 0;
}

guint
mcu_config_get_line (McuConfig *config, const char *group, const char *key)
{
  Entry *entry = NULL;
  lookup (config, group, key, &entry);
  return entry ? entry->line : 0;
}
