/* SPDX-License-Identifier: MIT */
/*
 * Admin API: rooms, roster, moderation, token sites; the site's own raise-hand call.
 *
 * Each request is checked in the same order — method (router, 405), admin token (401/403), room and
 * site (404), body size (413), JSON (400), values (400/409) — and answered with the JSON error body of
 * the signalling contract. Actions are dispatched through tables, not strcmp chains. The admin token
 * is compared as SHA-256 digests in constant time and never logged; site tokens made here are shown
 * once in the reply and kept only as digests.
 *
 * Threads: control thread (the router's).
 */
#define G_LOG_DOMAIN "mcu-admin"

#include "admin.h"

#include <string.h>
#include <sys/random.h>

#include "conference/room-error.h"
#include "conference/room.h"
#include "api/report.h"
#include "conference/seats.h"
#include "server.h"

#define MAX_BODY_BYTES (16 * 1024)
#define MAX_ID_LEN 64

/* ---- shared checks -------------------------------------------------------------------------------- */

static const char *
room_error_name (const GError *error, guint *status)
{
  static const struct { guint status; const char *name; } map[] = {
    [MCU_ROOM_ERROR_UNAUTHORIZED] = { 401, "unauthorized" },
    [MCU_ROOM_ERROR_FORBIDDEN] = { 403, "forbidden" },
    [MCU_ROOM_ERROR_BAD_NAME] = { 400, "bad-name" },
    [MCU_ROOM_ERROR_FULL] = { 503, "room-full" },
    [MCU_ROOM_ERROR_NO_SESSION] = { 404, "unknown-session" },
    [MCU_ROOM_ERROR_MEDIA] = { 500, "media-error" },
    [MCU_ROOM_ERROR_TIMEOUT] = { 504, "timeout" },
    [MCU_ROOM_ERROR_LOCKED] = { 423, "room-locked" },
    [MCU_ROOM_ERROR_NO_SITE] = { 404, "unknown-site" },
    [MCU_ROOM_ERROR_INVALID] = { 400, "bad-value" },
    [MCU_ROOM_ERROR_EXISTS] = { 409, "exists" },
  };

  if (error->domain == MCU_ROOM_ERROR && (guint) error->code < G_N_ELEMENTS (map) && map[error->code].name) {
    *status = map[error->code].status;
    return map[error->code].name;
  }
  *status = SOUP_STATUS_BAD_REQUEST;
  return "bad-request";
}

void
mcu_api_reply_error (SoupServerMessage *msg, const GError *error)
{
  guint status;
  const char *name = room_error_name (error, &status);

  mcu_http_reply_error (msg, status, name, "%s", error->message);
}

static char *
query_token (SoupServerMessage *msg)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (msg));

  if (query == NULL)
    return NULL;
  g_autoptr (GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  return params ? g_strdup (g_hash_table_lookup (params, "token")) : NULL;
}

gboolean
mcu_api_check_admin (McuServer *server, SoupServerMessage *msg, gboolean allow_query)
{
  const char *want = mcu_config_get_string (mcu_server_get_config (server), "server", "admin-token");
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  g_autofree char *from_query = allow_query ? query_token (msg) : NULL;
  const char *have = auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 ? auth + 7 : from_query;
  guint8 a[MCU_TOKEN_DIGEST_LEN], b[MCU_TOKEN_DIGEST_LEN], diff = 0;

  if (*want == '\0') {
    mcu_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, "admin-disabled",
                          "the admin API is off: set admin-token in [server] of the configuration to enable it");
    return FALSE;
  }
  if (have == NULL || *have == '\0') {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
    mcu_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                          "the admin API needs Authorization: Bearer <admin token>");
    return FALSE;
  }
  mcu_token_digest (want, a);
  mcu_token_digest (have, b);
  for (guint i = 0; i < MCU_TOKEN_DIGEST_LEN; i++)
    diff |= a[i] ^ b[i];
  if (diff != 0) {
    mcu_http_reply_error (msg, SOUP_STATUS_FORBIDDEN, "forbidden", "the admin token is not valid");
    return FALSE;
  }
  return TRUE;
}

static McuRoom *
find_room (McuServer *server, McuRequest *request)
{
  McuRoom *room = mcu_server_lookup_room (server, request->params[0]);

  if (room == NULL)
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-room", "there is no room '%s'",
                          request->params[0]);
  return room;
}

/* The body as a JSON object; an empty body is an empty object. NULL after replying 413/400. */
static JsonObject *
read_body (McuRequest *request)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize len = g_bytes_get_size (bytes);

  if (len > MAX_BODY_BYTES) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large",
                          "the body is %zu bytes; at most %d", len, MAX_BODY_BYTES);
    return NULL;
  }
  if (len == 0)
    return json_object_new ();
  if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), (gssize) len, &error)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-json", "%s", error->message);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-json", "the body must be a JSON object");
    return NULL;
  }
  return json_object_ref (json_node_get_object (root));
}

/* A string member, NULL when absent; FALSE (after replying 400) when present but not a string. */
static gboolean
get_string (McuRequest *request, JsonObject *object, const char *name, const char **out)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'%s' must be a string", name);
    return FALSE;
  }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
get_bool (McuRequest *request, JsonObject *object, const char *name, gboolean *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'%s' must be true or false", name);
    return FALSE;
  }
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
get_int (McuRequest *request, JsonObject *object, const char *name, gint64 min, gint64 max, gint64 *out)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < min || json_node_get_int (node) > max) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value",
                          "'%s' must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, name,
                          min, max);
    return FALSE;
  }
  *out = json_node_get_int (node);
  return TRUE;
}

/* Ids go into URLs and logs: letters, digits, '-', '_', '.', 1 to 64 of them. */
static gboolean
check_id (McuRequest *request, const char *what, const char *id)
{
  gsize len = id ? strlen (id) : 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
      len = 0;
  if (len == 0 || len > MAX_ID_LEN || id[0] == '.') {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value",
                          "'%s' must be 1 to %d letters, digits, '-', '_' or '.'", what, MAX_ID_LEN);
    return FALSE;
  }
  return TRUE;
}

static void
reply_object (SoupServerMessage *msg, guint status, JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  mcu_http_reply_json (msg, status, node);
}

static void
save_state (McuServer *server)
{
  g_autoptr (GError) error = NULL;

  if (!mcu_server_save_state (server, &error))
    g_warning ("%s", error->message);
}

/* ---- rooms ---------------------------------------------------------------------------------------- */

static JsonObject *
room_summary (McuRoom *room)
{
  JsonObject *object = json_object_new ();
  McuSeats *seats = mcu_room_get_seats (room);

  json_object_set_string_member (object, "id", mcu_room_get_id (room));
  json_object_set_string_member (object, "title", mcu_room_get_title (room));
  json_object_set_string_member (object, "mode", mcu_room_mode_name (mcu_room_get_mode (room)));
  json_object_set_boolean_member (object, "guests", mcu_room_get_guests_allowed (room));
  json_object_set_int_member (object, "max_sites", mcu_room_get_max_sites (room));
  json_object_set_string_member (object, "layout", mcu_seats_get_layout (seats));
  json_object_set_boolean_member (object, "locked", mcu_seats_get_locked (seats));
  json_object_set_boolean_member (object, "from_config", mcu_room_is_from_config (room));
  json_object_set_int_member (object, "connected", mcu_seats_count_connected (seats));
  json_object_set_int_member (object, "seats", mcu_seats_list (seats)->len);
  return object;
}

static void
set_nullable (JsonObject *object, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

static JsonObject *
room_roster (McuRoom *room)
{
  JsonObject *object = room_summary (room);
  McuSeats *seats = mcu_room_get_seats (room);
  GPtrArray *list = mcu_seats_list (seats);
  g_autoptr (GPtrArray) hands = mcu_seats_list_hands (seats);
  JsonArray *sites = json_array_new ();
  JsonArray *hand_ids = json_array_new ();

  mcu_room_refresh_links (room, g_get_monotonic_time ());
  for (guint i = 0; i < list->len; i++)
    json_array_add_object_element (sites, mcu_seats_site_to_json (seats, g_ptr_array_index (list, i)));
  for (guint i = 0; i < hands->len; i++)
    json_array_add_string_element (hand_ids, mcu_site_get_id (g_ptr_array_index (hands, i)));
  set_nullable (object, "floor", mcu_seats_get_floor (seats));
  set_nullable (object, "pin", mcu_seats_get_pin (seats));
  json_object_set_array_member (object, "hands", hand_ids);
  json_object_set_array_member (object, "sites", sites);
  return object;
}

JsonObject *
mcu_api_room_roster (McuRoom *room)
{
  return room_roster (room);
}

static void
handle_list (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;

  if (!mcu_api_check_admin (server, request->msg, FALSE))
    return;
  g_autoptr (GPtrArray) rooms = mcu_server_list_rooms (server);
  JsonArray *array = json_array_new ();
  for (guint i = 0; i < rooms->len; i++)
    json_array_add_object_element (array, room_summary (g_ptr_array_index (rooms, i)));
  JsonObject *object = json_object_new ();
  json_object_set_array_member (object, "rooms", array);
  json_object_set_string_member (object, "server", mcu_config_get_string (mcu_server_get_config (server),
                                                                          "server", "name"));
  reply_object (request->msg, SOUP_STATUS_OK, object);
}

static gboolean
read_room_settings (McuRequest *request, JsonObject *body, McuRoomSettings *settings)
{
  const char *mode = NULL;
  gint64 max_sites = 100;

  if (!get_string (request, body, "id", &settings->id) || !check_id (request, "id", settings->id) ||
      !get_string (request, body, "title", &settings->title) || !get_string (request, body, "mode", &mode) ||
      !get_bool (request, body, "guests", &settings->guests) ||
      !get_int (request, body, "max_sites", 1, 1000, &max_sites) ||
      !get_string (request, body, "layout", &settings->layout))
    return FALSE;
  settings->max_sites = (guint) max_sites;
  if (mode != NULL && !mcu_room_parse_mode (mode, &settings->mode)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'mode' must be mix or echo");
    return FALSE;
  }
  if (settings->title != NULL && (strlen (settings->title) > 200 || !g_utf8_validate (settings->title, -1, NULL))) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'title' is at most 200 bytes of UTF-8");
    return FALSE;
  }
  return TRUE;
}

static void
handle_create (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  g_autoptr (GError) error = NULL;
  McuRoomSettings settings = { .mode = MCU_ROOM_MIX, .grace_us = mcu_server_get_seat_grace_us (server),
                               .mix = mcu_server_get_mix_config (server) };

  if (!mcu_api_check_admin (server, request->msg, FALSE))
    return;
  g_autoptr (JsonObject) body = read_body (request);
  if (body == NULL || !read_room_settings (request, body, &settings))
    return;
  if (mcu_server_lookup_room (server, settings.id) != NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_CONFLICT, "exists", "there is already a room '%s'", settings.id);
    return;
  }
  McuRoom *room = mcu_room_new_with_settings (&settings, &error);
  if (room == NULL || !mcu_server_add_room (server, room, &error)) {
    mcu_api_reply_error (request->msg, error);
    return;
  }
  save_state (server);
  g_message ("room %s created through the admin API", settings.id);
  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg), "Location",
                                request->path);
  reply_object (request->msg, SOUP_STATUS_CREATED, room_summary (room));
}

static void
handle_get (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  McuRoom *room;

  if (!mcu_api_check_admin (server, request->msg, FALSE) || (room = find_room (server, request)) == NULL)
    return;
  reply_object (request->msg, SOUP_STATUS_OK, room_roster (room));
}

static void
handle_delete (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  McuRoom *room;

  if (!mcu_api_check_admin (server, request->msg, FALSE) || (room = find_room (server, request)) == NULL)
    return;
  if (mcu_room_is_from_config (room)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_CONFLICT, "config-room",
                          "room '%s' comes from the configuration file; remove it there", request->params[0]);
    return;
  }
  g_autofree char *id = g_strdup (mcu_room_get_id (room));
  mcu_server_remove_room (server, id);
  save_state (server);
  g_message ("room %s deleted through the admin API", id);
  JsonObject *object = json_object_new ();
  json_object_set_string_member (object, "deleted", id);
  reply_object (request->msg, SOUP_STATUS_OK, object);
}

/* ---- room actions --------------------------------------------------------------------------------- */

typedef gboolean (*RoomAction) (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body);

static char *
new_token (void)
{
  guint8 random[18];

  if (getrandom (random, sizeof random, 0) != sizeof random)
    return NULL;
  char *token = g_base64_encode (random, sizeof random);   /* 24 characters */

  g_strdelimit (token, "+", '-');   /* URL- and shell-friendly */
  g_strdelimit (token, "/", '_');
  return token;
}

static gboolean
action_add_site (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body)
{
  const char *id, *name, *given;
  g_autoptr (GError) error = NULL;
  guint8 digest[MCU_TOKEN_DIGEST_LEN];

  if (!get_string (request, body, "id", &id) || !check_id (request, "id", id) ||
      !get_string (request, body, "name", &name) || !get_string (request, body, "token", &given))
    return FALSE;
  if (given != NULL && strlen (given) < 8) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'token' must be at least 8 characters");
    return FALSE;
  }
  if (name != NULL && (strlen (name) > 200 || !g_utf8_validate (name, -1, NULL))) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-value", "'name' is at most 200 bytes of UTF-8");
    return FALSE;
  }
  g_autofree char *token = given ? g_strdup (given) : new_token ();
  if (token == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "no-random", "no random bytes");
    return FALSE;
  }
  mcu_token_digest (token, digest);
  if (!mcu_room_add_token_site (room, id, name, digest, TRUE, &error)) {
    mcu_api_reply_error (request->msg, error);
    return FALSE;
  }
  save_state (server);
  g_message ("room %s: token site %s added through the admin API", mcu_room_get_id (room), id);
  JsonObject *object = json_object_new ();
  McuSeats *seats = mcu_room_get_seats (room);
  json_object_set_object_member (object, "site", mcu_seats_site_to_json (seats, mcu_seats_lookup (seats, id)));
  json_object_set_string_member (object, "token", token);
  reply_object (request->msg, SOUP_STATUS_CREATED, object);
  return FALSE;   /* replied */
}

static gboolean
action_mute_all (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body)
{
  mcu_seats_mute_all (mcu_room_get_seats (room));
  return TRUE;
}

static gboolean
action_lock (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body)
{
  mcu_seats_set_locked (mcu_room_get_seats (room), TRUE);
  return TRUE;
}

static gboolean
action_unlock (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body)
{
  mcu_seats_set_locked (mcu_room_get_seats (room), FALSE);
  return TRUE;
}

static gboolean
action_layout (McuServer *server, McuRoom *room, McuRequest *request, JsonObject *body)
{
  const char *layout;
  g_autoptr (GError) error = NULL;

  if (!get_string (request, body, "layout", &layout))
    return FALSE;
  if (!mcu_seats_set_layout (mcu_room_get_seats (room), layout, &error)) {
    mcu_api_reply_error (request->msg, error);
    return FALSE;
  }
  return TRUE;
}

static const struct {
  const char *name;
  RoomAction action;
} room_actions[] = {
  { "sites", action_add_site },
  { "mute-all", action_mute_all },
  { "lock", action_lock },
  { "unlock", action_unlock },
  { "layout", action_layout },
};

static void
handle_room_action (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  McuRoom *room;

  if (!mcu_api_check_admin (server, request->msg, FALSE) || (room = find_room (server, request)) == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (room_actions); i++) {
    if (!g_str_equal (room_actions[i].name, request->params[1]))
      continue;
    g_autoptr (JsonObject) body = read_body (request);
    if (body != NULL && room_actions[i].action (server, room, request, body))
      reply_object (request->msg, SOUP_STATUS_OK, room_roster (room));
    return;
  }
  mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such action: %s", request->params[1]);
}

/* ---- site actions --------------------------------------------------------------------------------- */

typedef gboolean (*SiteAction) (McuRoom *room, const char *site_id, GError **error);

static gboolean
site_mute (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_seats_set_muted (mcu_room_get_seats (room), site_id, TRUE, error);
}

static gboolean
site_unmute (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_seats_set_muted (mcu_room_get_seats (room), site_id, FALSE, error);
}

static gboolean
site_pin (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_seats_set_pin (mcu_room_get_seats (room), site_id, error);
}

static gboolean
site_unpin (McuRoom *room, const char *site_id, GError **error)
{
  McuSeats *seats = mcu_room_get_seats (room);

  if (mcu_seats_lookup (seats, site_id) == NULL)
    return mcu_seats_set_pin (seats, site_id, error);   /* the unknown-site error */
  if (g_strcmp0 (mcu_seats_get_pin (seats), site_id) == 0)
    return mcu_seats_set_pin (seats, NULL, error);
  return TRUE;
}

static gboolean
site_floor (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_seats_give_floor (mcu_room_get_seats (room), site_id, error);
}

static gboolean
site_lower_hand (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_seats_set_hand (mcu_room_get_seats (room), site_id, FALSE, error);
}

static gboolean
site_kick (McuRoom *room, const char *site_id, GError **error)
{
  return mcu_room_kick (room, site_id, error);
}

static const struct {
  const char *name;
  SiteAction action;
} site_actions[] = {
  { "mute", site_mute },
  { "unmute", site_unmute },
  { "pin", site_pin },
  { "unpin", site_unpin },
  { "floor", site_floor },
  { "lower-hand", site_lower_hand },
  { "kick", site_kick },
};

static void
handle_site_action (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  g_autoptr (GError) error = NULL;
  McuRoom *room;

  if (!mcu_api_check_admin (server, request->msg, FALSE) || (room = find_room (server, request)) == NULL)
    return;
  McuSeats *seats = mcu_room_get_seats (room);
  McuSite *site = mcu_seats_lookup (seats, request->params[1]);
  if (site == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-site", "room '%s' has no site '%s'",
                          request->params[0], request->params[1]);
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (site_actions); i++) {
    if (!g_str_equal (site_actions[i].name, request->params[2]))
      continue;
    g_autoptr (JsonObject) body = read_body (request);
    if (body == NULL)
      return;
    g_autoptr (McuSite) keep = mcu_site_ref (site);
    if (!site_actions[i].action (room, request->params[1], &error)) {
      mcu_api_reply_error (request->msg, error);
      return;
    }
    JsonObject *object = json_object_new ();
    json_object_set_object_member (object, "site", mcu_seats_site_to_json (seats, keep));
    reply_object (request->msg, SOUP_STATUS_OK, object);
    return;
  }
  mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such action: %s", request->params[2]);
}

/* ---- the site's own hand -------------------------------------------------------------------------- */

/* POST /api/rooms/{room}/hand: the join page raises or lowers its hand. The session id (128 random
 * bits, known only to the site that joined) is the credential. */
static void
handle_hand (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  const char *session_ref = NULL;
  gboolean raised = TRUE;
  g_autoptr (GError) error = NULL;
  McuRoom *room;

  if ((room = find_room (server, request)) == NULL)
    return;
  g_autoptr (JsonObject) body = read_body (request);
  if (body == NULL || !get_string (request, body, "session", &session_ref) ||
      !get_bool (request, body, "raised", &raised))
    return;
  const char *slash = session_ref ? strrchr (session_ref, '/') : NULL;
  McuSession *session = mcu_room_lookup_session (room, slash ? slash + 1 : session_ref);
  if (session == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-session",
                          "'session' must be the Location of a live session in room '%s'", request->params[0]);
    return;
  }
  if (!mcu_seats_set_hand (mcu_room_get_seats (room), mcu_session_get_site_id (session), raised, &error)) {
    mcu_api_reply_error (request->msg, error);
    return;
  }
  JsonObject *object = json_object_new ();
  json_object_set_string_member (object, "site_id", mcu_session_get_site_id (session));
  json_object_set_boolean_member (object, "raised", raised);
  reply_object (request->msg, SOUP_STATUS_OK, object);
}

static const McuRoute routes[] = {
  { "GET", "/api/rooms", handle_list },
  { "POST", "/api/rooms", handle_create },
  { "GET", "/api/rooms/{room}", handle_get },
  { "DELETE", "/api/rooms/{room}", handle_delete },
  { "POST", "/api/rooms/{room}/hand", handle_hand },
  { "POST", "/api/rooms/{room}/{action}", handle_room_action },
  { "POST", "/api/rooms/{room}/sites/{site}/{action}", handle_site_action },
};

void
mcu_api_admin_register (McuHttp *http, McuServer *server)
{
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), server);
  mcu_api_report_register (http, server);  /* GET /api/rooms/{room}/report.csv (api/report.c) */
}
