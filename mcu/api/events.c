/* SPDX-License-Identifier: MIT */
/*
 * WebSocket event streams. The router's GET route checks the token and the room, answers the
 * handshake (101) and, once it is written, takes the connection over from the HTTP server. Each client watches its room's seat table and
 * gets a stats event every 2 s. (libsoup 3.2 cannot tell how much is queued for a slow client; the
 * keepalive closes a dead one.)
 *
 * Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-events"

#include "events.h"

#include "api/admin.h"
#include "conference/room.h"
#include "conference/seats.h"
#include "server.h"

#define STATS_INTERVAL_S 2

struct _McuApiEvents {
  McuServer *server;
  GPtrArray *clients;    /* Client */
};

typedef struct {
  McuApiEvents *events;
  SoupWebsocketConnection *connection;
  McuRoom *room;
  guint watch;
  guint stats_timer;
} Client;

static void
send_object (Client *client, JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  g_autofree char *text = json_to_string (node, FALSE);
  json_node_unref (node);
  if (soup_websocket_connection_get_state (client->connection) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  soup_websocket_connection_send_text (client->connection, text);
}

static void
client_stop (Client *client)
{
  if (client->watch != 0)
    mcu_seats_unwatch (mcu_room_get_seats (client->room), client->watch);
  client->watch = 0;
  g_clear_handle_id (&client->stats_timer, g_source_remove);
}

static void
client_free (gpointer data)
{
  Client *client = data;

  client_stop (client);
  g_signal_handlers_disconnect_by_data (client->connection, client);
  if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
  g_object_unref (client->connection);
  mcu_room_unref (client->room);
  g_free (client);
}

static void
on_seat_event (const char *event, JsonObject *data, gpointer user_data)
{
  Client *client = user_data;

  send_object (client, data);
  if (g_str_equal (event, "closed")) {
    client_stop (client);
    soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "room deleted");
  }
}

static gboolean
on_stats_timer (gpointer user_data)
{
  Client *client = user_data;
  McuSeats *seats = mcu_room_get_seats (client->room);
  GPtrArray *list = mcu_seats_list (seats);
  JsonArray *sites = json_array_new ();

  mcu_room_refresh_links (client->room, g_get_monotonic_time ());
  for (guint i = 0; i < list->len; i++) {
    McuSite *site = g_ptr_array_index (list, i);
    if (mcu_site_is_connected (site))
      json_array_add_object_element (sites, mcu_seats_site_to_json (seats, site));
  }
  JsonObject *object = json_object_new ();
  json_object_set_string_member (object, "event", "stats");
  json_object_set_string_member (object, "room", mcu_room_get_id (client->room));
  json_object_set_array_member (object, "sites", sites);
  send_object (client, object);
  json_object_unref (object);
  return G_SOURCE_CONTINUE;
}

static void
on_closed (SoupWebsocketConnection *connection, gpointer user_data)
{
  Client *client = user_data;

  g_ptr_array_remove (client->events->clients, client);   /* frees it */
}

static void
start_client (McuApiEvents *events, McuRoom *room, SoupWebsocketConnection *connection)
{
  Client *client = g_new0 (Client, 1);

  client->events = events;
  client->connection = connection;
  client->room = mcu_room_ref (room);
  g_ptr_array_add (events->clients, client);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), client);
  soup_websocket_connection_set_keepalive_interval (connection, 20);

  JsonObject *roster = mcu_api_room_roster (room);
  json_object_set_string_member (roster, "event", "roster");
  json_object_set_string_member (roster, "room", mcu_room_get_id (room));
  send_object (client, roster);
  json_object_unref (roster);
  client->watch = mcu_seats_watch (mcu_room_get_seats (room), on_seat_event, client);
  client->stats_timer = g_timeout_add_seconds (STATS_INTERVAL_S, on_stats_timer, client);
}

typedef struct {
  McuApiEvents *events;
  char *room_id;
} Upgrade;

static void
upgrade_free (gpointer data, GClosure *closure)
{
  Upgrade *upgrade = data;

  g_free (upgrade->room_id);
  g_free (upgrade);
}

/* The 101 is on the wire: take the connection over from the HTTP server. */
static void
on_switched (SoupServerMessage *msg, gpointer user_data)
{
  Upgrade *upgrade = user_data;
  McuRoom *room = mcu_server_lookup_room (upgrade->events->server, upgrade->room_id);
  const char *origin = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Origin");
  GIOStream *stream = soup_server_message_steal_connection (msg);
  SoupWebsocketConnection *connection =
      soup_websocket_connection_new (stream, soup_server_message_get_uri (msg), SOUP_WEBSOCKET_CONNECTION_SERVER,
                                     origin, NULL, NULL);

  g_object_unref (stream);
  if (room == NULL) {   /* deleted between the check and the handshake */
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "no such room");
    g_object_unref (connection);
    return;
  }
  start_client (upgrade->events, room, connection);
}

/* GET /api/rooms/{room}/events: token and room checked, then the WebSocket handshake answered here.
 * (libsoup's own WebSocket handler cannot be used: on the router's catch-all path it would also
 * "handshake" every paused request — a WHIP join waiting for ICE — and answer it 400.) */
static void
handle_events (McuRequest *request, gpointer user_data)
{
  McuApiEvents *events = user_data;
  g_autoptr (GError) error = NULL;

  if (!mcu_api_check_admin (events->server, request->msg, TRUE))
    return;
  if (mcu_server_lookup_room (events->server, request->params[0]) == NULL) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-room", "there is no room '%s'",
                          request->params[0]);
    return;
  }
  if (!soup_websocket_server_check_handshake (request->msg, NULL, NULL, NULL, &error)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "not-websocket",
                          "this is a WebSocket endpoint: %s", error->message);
    return;
  }
  soup_websocket_server_process_handshake (request->msg, NULL, NULL, NULL, NULL);
  Upgrade *upgrade = g_new0 (Upgrade, 1);
  upgrade->events = events;
  upgrade->room_id = g_strdup (request->params[0]);
  g_signal_connect_data (request->msg, "wrote-informational", G_CALLBACK (on_switched), upgrade, upgrade_free, 0);
}

static const McuRoute routes[] = {
  { "GET", "/api/rooms/{room}/events", handle_events },
};

McuApiEvents *
mcu_api_events_new (McuHttp *http, McuServer *server)
{
  McuApiEvents *events = g_new0 (McuApiEvents, 1);

  events->server = server;
  events->clients = g_ptr_array_new_with_free_func (client_free);
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), events);
  return events;
}

void
mcu_api_events_free (McuApiEvents *events)
{
  g_ptr_array_unref (events->clients);
  g_free (events);
}

guint
mcu_api_events_count_clients (McuApiEvents *events)
{
  return events->clients->len;
}
