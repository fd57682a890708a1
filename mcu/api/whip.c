/* SPDX-License-Identifier: MIT */
/*
 * WHIP endpoint. A join is checked in this order, each failure with its own status and JSON error:
 * room (404), content type (415), size (413), who (401/403, guest name 400), room full (503), SDP
 * (400, naming the line). The answer waits for ICE gathering on the room's media thread, so the
 * request is paused and resumed from the session's completion callback.
 *
 * Threads: control thread.
 */
#define G_LOG_DOMAIN "mcu-whip"

#include "whip.h"

#include <string.h>

#include "api/admin.h"
#include "conference/room-error.h"
#include "conference/room.h"
#include "conference/site.h"
#include "sdp/sdp-fragment.h"
#include "server.h"

#define MAX_SDP_BYTES (64 * 1024)

static void
add_cors (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers", "Location, Accept-Patch, Link, ETag");
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

static gboolean
check_body (McuRequest *request, const char *content_type, GBytes **body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (request->msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  if (type == NULL || g_ascii_strcasecmp (type, content_type) != 0) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                          "the body must be %s, not %s", content_type, type ? type : "missing");
    return FALSE;
  }
  *body = soup_message_body_flatten (soup_server_message_get_request_body (request->msg));
  if (g_bytes_get_size (*body) > MAX_SDP_BYTES) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too-large",
                          "the body is %zu bytes; at most %d", g_bytes_get_size (*body), MAX_SDP_BYTES);
    g_clear_pointer (body, g_bytes_unref);
    return FALSE;
  }
  return TRUE;
}

static const char *
bearer_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  return auth + 7;
}

static const char *
query_value (SoupServerMessage *msg, const char *key, char **owned)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);

  if (query == NULL)
    return NULL;
  g_autoptr (GHashTable) params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  if (params == NULL)
    return NULL;
  *owned = g_strdup (g_hash_table_lookup (params, key));
  return *owned;
}

static void
reply_room_error (SoupServerMessage *msg, const GError *error)
{
  if (error->domain == MCU_ROOM_ERROR && error->code == MCU_ROOM_ERROR_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
  mcu_api_reply_error (msg, error);
}

/* ---- POST /whip/{room} --------------------------------------------------------------------------- */

typedef struct {
  SoupServerMessage *msg;
  McuRoom *room;
  McuSite *site;
  McuSession *session;
} Join;

static void
join_free (Join *join)
{
  mcu_session_unref (join->session);
  g_object_unref (join->msg);
  mcu_room_unref (join->room);
  mcu_site_unref (join->site);
  g_free (join);
}

static void
on_session_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Join *join = user_data;
  McuSession *session = join->session;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = mcu_session_start_finish (session, result, &error);

  if (answer == NULL) {
    if (error->domain == MCU_ROOM_ERROR)
      reply_room_error (join->msg, error);
    else
      mcu_http_reply_error (join->msg, SOUP_STATUS_BAD_REQUEST, "bad-offer", "%s", error->message);
    g_message ("room %s: join of site %s refused: %s", mcu_room_get_id (join->room),
               mcu_site_get_id (join->site), error->message);
    mcu_session_close (session);
  } else {
    g_autofree char *location = g_strdup_printf ("/whip/%s/%s", mcu_room_get_id (join->room),
                                                 mcu_session_get_id (session));
    SoupMessageHeaders *headers = soup_server_message_get_response_headers (join->msg);
    mcu_room_add_session (join->room, join->site, session);
    soup_message_headers_replace (headers, "Location", location);
    soup_message_headers_replace (headers, "Accept-Patch", "application/trickle-ice-sdpfrag");
    soup_message_headers_replace (headers, "ETag", "\"1\"");
    gsize len = strlen (answer);
    soup_server_message_set_status (join->msg, SOUP_STATUS_CREATED, NULL);
    soup_server_message_set_response (join->msg, "application/sdp", SOUP_MEMORY_TAKE,
                                      g_steal_pointer (&answer), len);
  }
  soup_server_message_unpause (join->msg);
  join_free (join);
}

static void
handle_join (McuRequest *request, gpointer user_data)
{
  McuServer *server = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  McuRoom *room;

  add_cors (request->msg);
  if ((room = find_room (server, request)) == NULL || !check_body (request, "application/sdp", &body))
    return;
  McuSite *site = mcu_room_admit (room, bearer_token (request->msg), query_value (request->msg, "name", &name),
                                  &error);
  if (site == NULL) {
    reply_room_error (request->msg, error);
    return;
  }
  g_autoptr (McuSdp) offer = mcu_sdp_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (offer == NULL) {
    mcu_site_unref (site);
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-sdp", "%s", error->message);
    return;
  }
  McuSession *session = mcu_room_new_session (room, site, mcu_server_get_certificate (server),
                                              mcu_server_get_peer_config (server));
  Join *join = g_new0 (Join, 1);
  join->msg = g_object_ref (request->msg);
  join->room = mcu_room_ref (room);
  join->site = site;
  join->session = session;
  mcu_http_pause (request->msg);
  mcu_session_start (session, offer, on_session_started, join);
}

/* ---- PATCH / DELETE /whip/{room}/{session} ------------------------------------------------------- */

static McuSession *
find_session (McuServer *server, McuRequest *request, McuRoom **room_out)
{
  McuRoom *room = find_room (server, request);
  McuSession *session = room ? mcu_room_lookup_session (room, request->params[1]) : NULL;

  if (room != NULL && session == NULL)
    mcu_http_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "unknown-session",
                          "no live session '%s' in room '%s'", request->params[1], request->params[0]);
  if (room_out != NULL)
    *room_out = room;
  return session;
}

typedef struct {
  SoupServerMessage *msg;
  McuSession *session;
} Patch;

static void
on_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree Patch *patch = user_data;
  g_autoptr (SoupServerMessage) msg = patch->msg;
  g_autoptr (McuSession) session = patch->session;
  g_autoptr (GError) error = NULL;
  g_autofree char *fragment = mcu_session_patch_finish (session, result, &error);

  if (error != NULL) {
    if (error->domain == MCU_ROOM_ERROR)
      reply_room_error (msg, error);
    else
      mcu_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad-fragment", "%s", error->message);
  } else if (fragment == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  } else {
    gsize len = strlen (fragment);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "application/trickle-ice-sdpfrag", SOUP_MEMORY_TAKE,
                                      g_steal_pointer (&fragment), len);
  }
  soup_server_message_unpause (msg);
}

static void
handle_patch (McuRequest *request, gpointer user_data)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;
  McuSdpFragment *fragment = NULL;

  add_cors (request->msg);
  McuSession *session = find_session (user_data, request, NULL);
  if (session == NULL || !check_body (request, "application/trickle-ice-sdpfrag", &body))
    return;
  if (!mcu_sdp_fragment_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &fragment, &error)) {
    mcu_http_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad-fragment", "%s", error->message);
    return;
  }
  Patch *patch = g_new0 (Patch, 1);
  patch->msg = g_object_ref (request->msg);
  patch->session = mcu_session_ref (session);
  mcu_http_pause (request->msg);
  mcu_session_patch (session, fragment, on_patched, patch);
}

static void
handle_leave (McuRequest *request, gpointer user_data)
{
  McuRoom *room = NULL;

  add_cors (request->msg);
  McuSession *session = find_session (user_data, request, &room);
  if (session == NULL)
    return;
  mcu_room_end_session (room, mcu_session_get_id (session), "the site left (DELETE)");
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
}

/* CORS preflight (RFC 9725 §4.6: browsers on other origins). */
static void
handle_options (McuRequest *request, gpointer user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);

  add_cors (request->msg);
  soup_message_headers_replace (headers, "Access-Control-Allow-Methods",
                                request->n_params == 1 ? "POST, OPTIONS" : "PATCH, DELETE, OPTIONS");
  soup_message_headers_replace (headers, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
  soup_message_headers_replace (headers, "Access-Control-Max-Age", "86400");
  if (request->n_params == 1)
    soup_message_headers_replace (headers, "Accept-Post", "application/sdp");
  soup_server_message_set_status (request->msg, SOUP_STATUS_NO_CONTENT, NULL);
}

static const McuRoute routes[] = {
  { "POST", "/whip/{room}", handle_join },
  { "OPTIONS", "/whip/{room}", handle_options },
  { "PATCH", "/whip/{room}/{session}", handle_patch },
  { "DELETE", "/whip/{room}/{session}", handle_leave },
  { "OPTIONS", "/whip/{room}/{session}", handle_options },
};

void
mcu_api_whip_register (McuHttp *http, McuServer *server)
{
  mcu_http_add_routes (http, routes, G_N_ELEMENTS (routes), server);
}
