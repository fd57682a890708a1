/* SPDX-License-Identifier: MIT */
/*
 * The server object: wires configuration, the DTLS certificate, ICE settings, rooms and the HTTP API
 * modules together.
 *
 * Threads: control thread. Rooms run their media on their own threads (see conference/room.h).
 */
#define G_LOG_DOMAIN "mcu-server"

#include "server.h"

#include <nice/interfaces.h>

#include "api/admin.h"
#include "api/events.h"
#include "api/health.h"
#include "api/metrics.h"
#include "api/static.h"
#include "api/whip.h"
#include "conference/room-error.h"
#include "conference/room.h"
#include "conference/store.h"

struct _McuServer {
  McuConfig *config;
  McuHttp *http;
  gint64 started_us;
  McuCertificate *certificate;
  McuPeerConfig peer_config;
  McuMixConfig mix_config;
  GHashTable *rooms;   /* id → McuRoom */
  char *state_path;    /* NULL: nothing persisted */
  McuApiEvents *events;
};

static char **
split_list (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++) {
    char *item = g_strstrip (parts[i]);
    if (*item != '\0')
      g_ptr_array_add (list, g_strdup (item));
  }
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

/* "host:port" → host and port (@default_port when absent); FALSE with an error naming the key. */
static gboolean
split_host_port (McuConfig *config, const char *group, const char *key, char **host, guint *port,
                 guint default_port, GError **error)
{
  const char *text = mcu_config_get_string (config, group, key);
  const char *colon = strrchr (text, ':');
  guint64 value = default_port;

  *host = NULL;
  *port = 0;
  if (*text == '\0')
    return TRUE;
  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &value, NULL)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "%s:%u: key '%s' must be host:port, not '%s'",
                 mcu_config_get_origin (config), mcu_config_get_line (config, group, key), key, text);
    return FALSE;
  }
  *host = colon ? g_strndup (text, colon - text) : g_strdup (text);
  *port = value;
  return TRUE;
}

/* The addresses to offer when the config names none, listed once at start rather than by every
 * peer (libnice would call getifaddrs per site): every interface address but IPv6 link-local ones,
 * which no site can use and which only add candidate pairs to check; plus 127.0.0.1 when the server
 * listens on loopback. Interfaces that appear later need a restart (or [ice] addresses). */
static char **
default_ice_addresses (gboolean loopback)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  GPtrArray *list = g_ptr_array_new ();

  for (GList *l = ips; l != NULL; l = l->next)
    if (g_ascii_strncasecmp (l->data, "fe80:", 5) != 0)
      g_ptr_array_add (list, g_strdup (l->data));
  if (loopback)
    g_ptr_array_add (list, g_strdup ("127.0.0.1"));
  g_list_free_full (ips, g_free);
  g_ptr_array_add (list, NULL);
  return (char **) g_ptr_array_free (list, FALSE);
}

static gboolean
load_peer_config (McuServer *server, gboolean loopback, GError **error)
{
  McuConfig *config = server->config;
  McuPeerConfig *pc = &server->peer_config;
  const char *public_address = mcu_config_get_string (config, "ice", "public-address");

  mcu_peer_config_init (pc);
  pc->consent_freshness = mcu_config_get_bool (config, "ice", "consent-freshness");
  pc->ice_addresses = split_list (mcu_config_get_string (config, "ice", "addresses"));
  if (pc->ice_addresses[0] == NULL) {
    g_strfreev (pc->ice_addresses);
    pc->ice_addresses = default_ice_addresses (loopback);
  }
  pc->loopback_too = loopback;
  pc->public_address = *public_address ? g_strdup (public_address) : NULL;
  pc->ice_tcp = mcu_config_get_bool (config, "ice", "tcp");
  pc->ice_lite = mcu_config_get_bool (config, "ice", "lite");
  pc->port_min = mcu_config_get_int (config, "ice", "port-min");
  pc->port_max = mcu_config_get_int (config, "ice", "port-max");
  pc->dtls_timeout_ms = mcu_config_get_int (config, "dtls", "handshake-timeout") * 1000;
  pc->turn_user = g_strdup (mcu_config_get_string (config, "ice", "turn-username"));
  pc->turn_pass = g_strdup (mcu_config_get_string (config, "ice", "turn-password"));
  return split_host_port (config, "ice", "stun-server", &pc->stun_server, &pc->stun_port, 3478, error) &&
         split_host_port (config, "ice", "turn-server", &pc->turn_server, &pc->turn_port, 3478, error);
}


static gboolean
load_certificate (McuServer *server, GError **error)
{
  const char *cert = mcu_config_get_string (server->config, "dtls", "certificate");
  const char *key = mcu_config_get_string (server->config, "dtls", "private-key");

  if (*cert != '\0' || *key != '\0')
    server->certificate = mcu_certificate_new_from_files (cert, key, error);
  else
    server->certificate = mcu_certificate_new_generated ("mcu", error);
  if (server->certificate == NULL)
    g_prefix_error (error, "DTLS certificate: ");
  return server->certificate != NULL;
}

static gboolean
load_rooms (McuServer *server, GError **error)
{
  g_autofree const char **rooms = mcu_config_list (server->config, "room");
  g_autofree const char **sites = mcu_config_list (server->config, "site");

  for (guint i = 0; rooms[i] != NULL; i++) {
    McuRoom *room = mcu_room_new (server->config, rooms[i], error);
    if (room == NULL)
      return FALSE;
    g_hash_table_insert (server->rooms, g_strdup (rooms[i]), room);
  }
  for (guint i = 0; sites[i] != NULL; i++) {
    g_autofree char *group = g_strconcat ("site ", sites[i], NULL);
    const char *room = mcu_config_get_string (server->config, group, "room");
    if (!g_hash_table_contains (server->rooms, room)) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "%s:%u: [%s] names room '%s', which is "
                   "not configured", mcu_config_get_origin (server->config),
                   mcu_config_get_line (server->config, group, "room"), group, room);
      return FALSE;
    }
  }
  return TRUE;
}

McuServer *
mcu_server_new (McuConfig *config, const char *http_address, GError **error)
{
  g_autoptr (McuServer) server = g_new0 (McuServer, 1);
  const char *address = http_address ? http_address : mcu_config_get_string (config, "server", "http");

  server->config = mcu_config_ref (config);
  server->started_us = g_get_monotonic_time ();
  server->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mcu_room_unref);
  g_autoptr (GInetSocketAddress) inet = mcu_http_parse_address (address, error);
  if (inet == NULL)
    return NULL;
  gboolean loopback = g_inet_address_get_is_loopback (g_inet_socket_address_get_address (inet));
  if (!load_peer_config (server, loopback, error) || !load_certificate (server, error) ||
      !mcu_mix_config_load (&server->mix_config, config, error) ||
      !load_rooms (server, error))
    return NULL;
  server->state_path = mcu_store_path_for (config);
  if (!mcu_store_load (server->state_path, server, mcu_server_get_seat_grace_us (server), error))
    return NULL;
  server->http = mcu_http_new (address, error);
  if (server->http == NULL)
    return NULL;
  mcu_api_health_register (server->http, server);
  mcu_api_whip_register (server->http, server);
  mcu_api_admin_register (server->http, server);
  server->events = mcu_api_events_new (server->http, server);
  mcu_api_metrics_register (server->http, server);
  mcu_api_static_register (server->http, server);
  return g_steal_pointer (&server);
}

void
mcu_server_free (McuServer *server)
{
  g_clear_pointer (&server->events, mcu_api_events_free);
  g_clear_pointer (&server->http, mcu_http_free);
  g_clear_pointer (&server->rooms, g_hash_table_unref);
  g_free (server->state_path);
  g_clear_pointer (&server->certificate, mcu_certificate_unref);
  mcu_peer_config_clear (&server->peer_config);
  g_clear_pointer (&server->config, mcu_config_unref);
  g_free (server);
}

McuConfig *
mcu_server_get_config (McuServer *server)
{
  return server->config;
}

McuHttp *
mcu_server_get_http (McuServer *server)
{
  return server->http;
}

gint64
mcu_server_get_uptime_s (McuServer *server)
{
  return (g_get_monotonic_time () - server->started_us) / G_USEC_PER_SEC;
}

McuRoom *
mcu_server_lookup_room (McuServer *server, const char *id)
{
  return g_hash_table_lookup (server->rooms, id);
}

McuCertificate *
mcu_server_get_certificate (McuServer *server)
{
  return server->certificate;
}

const McuPeerConfig *
mcu_server_get_peer_config (McuServer *server)
{
  return &server->peer_config;
}

gint64
mcu_server_get_seat_grace_us (McuServer *server)
{
  return mcu_config_get_int (server->config, "server", "seat-grace") * G_USEC_PER_SEC;
}

gboolean
mcu_server_add_room (McuServer *server, McuRoom *room, GError **error)
{
  const char *id = mcu_room_get_id (room);

  if (g_hash_table_contains (server->rooms, id)) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_EXISTS, "there is already a room '%s'", id);
    mcu_room_unref (room);
    return FALSE;
  }
  g_hash_table_insert (server->rooms, g_strdup (id), room);
  return TRUE;
}

gboolean
mcu_server_remove_room (McuServer *server, const char *id)
{
  McuRoom *room = g_hash_table_lookup (server->rooms, id);

  if (room == NULL)
    return FALSE;
  mcu_room_close (room);
  return g_hash_table_remove (server->rooms, id);
}

static gint
compare_rooms (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (mcu_room_get_id (*(McuRoom **) a), mcu_room_get_id (*(McuRoom **) b));
}

GPtrArray *
mcu_server_list_rooms (McuServer *server)
{
  GPtrArray *rooms = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer room;

  g_hash_table_iter_init (&iter, server->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &room))
    g_ptr_array_add (rooms, room);
  g_ptr_array_sort (rooms, compare_rooms);
  return rooms;
}

gboolean
mcu_server_save_state (McuServer *server, GError **error)
{
  if (server->state_path == NULL)
    return TRUE;
  g_autoptr (GPtrArray) rooms = mcu_server_list_rooms (server);
  return mcu_store_save (server->state_path, rooms, error);
}

const McuMixConfig *
mcu_server_get_mix_config (McuServer *server)
{
  return &server->mix_config;
}
