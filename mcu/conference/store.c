/* SPDX-License-Identifier: MIT */
/*
 * State file: API-created rooms and API-added token sites, as JSON, written atomically.
 *
 *   {"version": 1, "rooms": [{"id": "hop-thang-12", "title": "...", "mode": "mix", "guests": false,
 *     "max_sites": 100, "layout": "auto", "from_config": false,
 *     "sites": [{"id": "xa-a", "name": "UBND xã A", "token_sha256": "<64 hex>"}]}]}
 *
 * A config room appears with "from_config": true and only its API-added sites.
 * Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-store"

#include "store.h"

#include <string.h>

#include "conference/room-error.h"
#include "conference/room.h"
#include "server.h"

#define STORE_VERSION 1

char *
mcu_store_path_for (McuConfig *config)
{
  const char *set = mcu_config_get_string (config, "server", "state-file");
  const char *origin = mcu_config_get_origin (config);

  if (*set != '\0')
    return g_strdup (set);
  if (origin == NULL || !g_file_test (origin, G_FILE_TEST_IS_REGULAR))
    return NULL;
  if (g_str_has_suffix (origin, ".conf"))
    return g_strdup_printf ("%.*s.state.json", (int) (strlen (origin) - 5), origin);
  return g_strconcat (origin, ".state.json", NULL);
}

static void
add_site_json (McuSite *site, const guint8 digest[MCU_TOKEN_DIGEST_LEN], gpointer user_data)
{
  JsonBuilder *builder = user_data;
  char hex[2 * MCU_TOKEN_DIGEST_LEN + 1];

  for (guint i = 0; i < MCU_TOKEN_DIGEST_LEN; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", digest[i]);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, mcu_site_get_id (site));
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, mcu_site_get_name (site));
  json_builder_set_member_name (builder, "token_sha256");
  json_builder_add_string_value (builder, hex);
  json_builder_end_object (builder);
}

static void
add_room_json (JsonBuilder *builder, McuRoom *room)
{
  McuSeats *seats = mcu_room_get_seats (room);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, mcu_room_get_id (room));
  json_builder_set_member_name (builder, "from_config");
  json_builder_add_boolean_value (builder, mcu_room_is_from_config (room));
  if (!mcu_room_is_from_config (room)) {
    json_builder_set_member_name (builder, "title");
    json_builder_add_string_value (builder, mcu_room_get_title (room));
    json_builder_set_member_name (builder, "mode");
    json_builder_add_string_value (builder, mcu_room_mode_name (mcu_room_get_mode (room)));
    json_builder_set_member_name (builder, "guests");
    json_builder_add_boolean_value (builder, mcu_room_get_guests_allowed (room));
    json_builder_set_member_name (builder, "max_sites");
    json_builder_add_int_value (builder, mcu_room_get_max_sites (room));
    json_builder_set_member_name (builder, "layout");
    json_builder_add_string_value (builder, mcu_seats_get_layout (seats));
  }
  json_builder_set_member_name (builder, "sites");
  json_builder_begin_array (builder);
  mcu_seats_foreach_api_site (seats, add_site_json, builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

char *
mcu_store_serialize (GPtrArray *rooms)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STORE_VERSION);
  json_builder_set_member_name (builder, "rooms");
  json_builder_begin_array (builder);
  for (guint i = 0; i < rooms->len; i++)
    add_room_json (builder, g_ptr_array_index (rooms, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
mcu_store_save (const char *path, GPtrArray *rooms, GError **error)
{
  g_autofree char *text = mcu_store_serialize (rooms);

  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
    g_prefix_error (error, "cannot write the state file: ");
    return FALSE;
  }
  return TRUE;
}

/* ---- loading -------------------------------------------------------------------------------------- */

static gboolean
bad_file (GError **error, const char *path, const char *what)
{
  g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "state file %s: %s (fix or remove it)", path,
               what);
  return FALSE;
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node) : NULL;
}

static JsonArray *
array_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
parse_digest (const char *hex, guint8 out[MCU_TOKEN_DIGEST_LEN])
{
  if (hex == NULL || strlen (hex) != 2 * MCU_TOKEN_DIGEST_LEN)
    return FALSE;
  for (guint i = 0; i < MCU_TOKEN_DIGEST_LEN; i++) {
    int hi = g_ascii_xdigit_value (hex[2 * i]), lo = g_ascii_xdigit_value (hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return FALSE;
    out[i] = (guint8) (hi << 4 | lo);
  }
  return TRUE;
}

static gboolean
load_sites (const char *path, McuRoom *room, JsonArray *sites, GError **error)
{
  for (guint i = 0; sites != NULL && i < json_array_get_length (sites); i++) {
    JsonNode *node = json_array_get_element (sites, i);
    JsonObject *site = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    const char *id = site ? string_member (site, "id") : NULL;
    guint8 digest[MCU_TOKEN_DIGEST_LEN];
    g_autoptr (GError) local = NULL;
    if (id == NULL || !parse_digest (string_member (site, "token_sha256"), digest))
      return bad_file (error, path, "a site without id or token_sha256");
    if (!mcu_room_add_token_site (room, id, string_member (site, "name"), digest, TRUE, &local))
      g_warning ("state file %s: room %s: %s; skipped", path, mcu_room_get_id (room), local->message);
  }
  return TRUE;
}

static McuRoom *
new_room (const char *path, JsonObject *object, gint64 grace_us, const McuMixConfig *mix, GError **error)
{
  McuRoomSettings settings = {
    .id = string_member (object, "id"),
    .title = string_member (object, "title"),
    .guests = json_object_get_boolean_member_with_default (object, "guests", FALSE),
    .max_sites = (guint) CLAMP (json_object_get_int_member_with_default (object, "max_sites", 100), 1, 1000),
    .layout = string_member (object, "layout"),
    .grace_us = grace_us,
    .mix = mix,
  };

  if (!mcu_room_parse_mode (string_member (object, "mode"), &settings.mode)) {
    bad_file (error, path, "a room with a mode other than mix or echo");
    return NULL;
  }
  McuRoom *room = mcu_room_new_with_settings (&settings, error);
  if (room == NULL)
    g_prefix_error (error, "state file %s: ", path);
  return room;
}

static gboolean
load_room (const char *path, McuServer *server, JsonObject *object, gint64 grace_us, GError **error)
{
  const char *id = string_member (object, "id");
  gboolean from_config = json_object_get_boolean_member_with_default (object, "from_config", FALSE);
  JsonArray *sites = array_member (object, "sites");
  McuRoom *room = id ? mcu_server_lookup_room (server, id) : NULL;

  if (id == NULL)
    return bad_file (error, path, "a room without an id");
  if (room != NULL && !from_config)
    g_warning ("state file %s: room %s is now in the configuration; its settings come from there", path, id);
  if (room == NULL && from_config) {
    g_warning ("state file %s: room %s is no longer in the configuration; its added sites are dropped", path, id);
    return TRUE;
  }
  if (room == NULL) {
    room = new_room (path, object, grace_us, mcu_server_get_mix_config (server), error);
    if (room == NULL || !mcu_server_add_room (server, room, error))
      return FALSE;
  }
  return load_sites (path, room, sites, error);
}

gboolean
mcu_store_load (const char *path, McuServer *server, gint64 grace_us, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!json_parser_load_from_file (parser, path, &local))
    return bad_file (error, path, local->message);
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *object = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *rooms = object ? array_member (object, "rooms") : NULL;
  if (rooms == NULL || json_object_get_int_member_with_default (object, "version", 0) != STORE_VERSION)
    return bad_file (error, path, "not a version 1 state file");
  for (guint i = 0; i < json_array_get_length (rooms); i++) {
    JsonNode *node = json_array_get_element (rooms, i);
    if (!JSON_NODE_HOLDS_OBJECT (node))
      return bad_file (error, path, "a room that is not an object");
    if (!load_room (path, server, json_node_get_object (node), grace_us, error))
      return FALSE;
  }
  return TRUE;
}
