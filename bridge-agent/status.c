/* SPDX-License-Identifier: MIT */
/*
 * Local status for the site's staff: the JSON snapshot and the page with raise-hand and mute.
 *
 * The page is one static HTML document with both languages in it; the server only substitutes the
 * default language. It listens on 127.0.0.1 by default: the buttons are not authenticated, so binding
 * it elsewhere exposes them to the site's LAN (documented in configs/bridge-agent.conf).
 *
 * Threads: main loop only (SoupServer handlers and the hooks).
 */
#define G_LOG_DOMAIN "bridge-status"

#include "status.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

struct _BridgeStatusServer {
  SoupServer *soup;
  const BridgeStatusHooks *hooks;
  gpointer user_data;
  char *language;
  char *url;
};

static void
add_double_or_null (JsonBuilder *b, const char *name, double value, double scale)
{
  json_builder_set_member_name (b, name);
  if (value < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, (double) (gint64) (value * scale + 0.5) / scale);
}

static void
add_string_or_null (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

/* "recv": what the site receives (see BridgeRecvStats). */
static void
add_recv (JsonBuilder *b, const BridgeRecvStats *r)
{
  json_builder_set_member_name (b, "recv");
  json_builder_begin_object (b);
  add_int (b, "audio_frames", (gint64) r->audio_frames);
  add_int (b, "audio_concealed", (gint64) r->audio_concealed);
  add_int (b, "audio_fec", (gint64) r->audio_fec);
  add_int (b, "video_frames", (gint64) r->video_frames);
  add_int (b, "video_frozen_ms", (gint64) r->video_frozen_ms);
  add_int (b, "video_arrival_gaps_ms", (gint64) r->video_arrival_gaps_ms);
  add_int (b, "video_lost", (gint64) r->video_lost);
  json_builder_set_member_name (b, "video_last_frame_ms_ago");
  if (r->video_last_frame_ms_ago < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, r->video_last_frame_ms_ago);
  add_int (b, "video_width", r->video_width);
  add_int (b, "video_height", r->video_height);
  json_builder_end_object (b);
}

char *
bridge_status_to_json (const BridgeStatusInfo *info)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GDateTime) since = g_date_time_new_from_unix_utc (info->since_unix_us / G_USEC_PER_SEC);
  g_autofree char *since_text = since ? g_date_time_format_iso8601 (since) : NULL;

  json_builder_begin_object (b);
  add_string_or_null (b, "state", bridge_state_to_string (info->state));
  add_string_or_null (b, "since", since_text);
  add_int (b, "reconnects", info->reconnects);
  add_double_or_null (b, "rtt_ms", info->rtt_ms, 1);
  add_double_or_null (b, "loss", info->loss, 1000);
  add_double_or_null (b, "send_kbps", info->send_kbps, 1);
  add_bool (b, "audio_only", info->audio_only);
  add_string_or_null (b, "last_error", info->last_error);
  add_string_or_null (b, "site_id", info->site_id);
  add_string_or_null (b, "room", info->room);
  add_string_or_null (b, "server", info->server);
  add_bool (b, "muted", info->muted);
  add_bool (b, "hand_raised", info->hand_raised);
  add_int (b, "packets_received", (gint64) info->packets_received);
  add_int (b, "packets_sent", (gint64) info->packets_sent);
  add_int (b, "frames_received", (gint64) info->frames_received);
  add_int (b, "audio_buffers_received", (gint64) info->audio_buffers_received);
  add_int (b, "rtx_dropped", (gint64) info->rtx_dropped);
  add_int (b, "video_kbps", info->video_kbps);
  add_int (b, "width", info->width);
  add_int (b, "height", info->height);
  add_int (b, "framerate", info->framerate);
  json_builder_set_member_name (b, "video");  /* what is sent now, one object for the page and tests */
  json_builder_begin_object (b);
  add_int (b, "kbps", info->audio_only ? 0 : info->video_kbps);
  add_int (b, "width", info->width);
  add_int (b, "height", info->height);
  add_int (b, "fps", info->framerate);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "remb_kbps");
  if (info->remb_kbps == 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, info->remb_kbps);
  add_string_or_null (b, "adapt", info->adapt_reason);
  add_string_or_null (b, "ice_transport", info->ice_transport);
  add_recv (b, &info->recv);
  json_builder_end_object (b);

  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

char *
bridge_parse_listen (const char *listen, guint16 *port, GError **error)
{
  const char *colon = listen ? strrchr (listen, ':') : NULL;
  guint64 value = 0;

  if (colon == NULL || colon == listen) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "'%s' is not ADDRESS:PORT (for example 127.0.0.1:8089)", listen ? listen : "");
    return NULL;
  }
  g_autofree char *host = g_strndup (listen, colon - listen);
  gsize len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
    memmove (host, host + 1, len - 2);
    host[len - 2] = '\0';
  }
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  if (inet == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' in '%s' is not an IP address", host, listen);
    return NULL;
  }
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' in '%s' is not a port number (0-65535)",
                 colon + 1, listen);
    return NULL;
  }
  *port = (guint16) value;
  return g_steal_pointer (&host);
}

static const char page[] =
  "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
  "<title>bridge-agent</title><style>"
  "body{font:18px sans-serif;margin:2em;max-width:40em}#state{font-size:2em;font-weight:bold}"
  ".connected{color:#080}.connecting,.rejoining,.restarting-ice{color:#b60}"
  "table td{padding:.2em 1em .2em 0}button{font-size:1.1em;margin:.5em .5em 0 0;padding:.5em 1em}"
  "#audio_only{color:#b00}</style></head><body>"
  "<p><a href='?lang=vi'>Tiếng Việt</a> · <a href='?lang=en'>English</a></p>"
  "<div id=state></div><p id=audio_only></p><table>"
  "<tr><td data-t=since></td><td id=since></td></tr>"
  "<tr><td data-t=quality></td><td id=quality></td></tr>"
  "<tr><td data-t=reconnects></td><td id=reconnects></td></tr>"
  "<tr><td data-t=room></td><td id=room></td></tr>"
  "<tr><td data-t=last_error></td><td id=last_error></td></tr></table>"
  "<button id=hand></button><button id=mute></button>"
  "<script>"
  "const T={vi:{connecting:'Đang kết nối…',connected:'Đã kết nối',"
  "'restarting-ice':'Đang khôi phục đường truyền…',rejoining:'Đang kết nối lại…',"
  "since:'Từ lúc',quality:'Chất lượng đường truyền',reconnects:'Số lần kết nối lại',room:'Phòng họp',"
  "last_error:'Lỗi gần nhất',none:'không có',hand_up:'Giơ tay',hand_down:'Hạ tay',mute:'Tắt micro',"
  "unmute:'Bật micro',audio_only:'Đường truyền yếu: chỉ gửi âm thanh, không gửi hình',"
  "good:'Tốt',fair:'Trung bình',poor:'Kém',rtt:'độ trễ',loss:'mất gói',send:'gửi',picture:'hình',fps:'hình/giây'},"
  "en:{connecting:'Connecting…',connected:'Connected','restarting-ice':'Restoring the link…',"
  "rejoining:'Reconnecting…',since:'Since',quality:'Link quality',reconnects:'Reconnects',room:'Room',"
  "last_error:'Last error',none:'none',hand_up:'Raise hand',hand_down:'Lower hand',mute:'Mute microphone',"
  "unmute:'Unmute microphone',audio_only:'Weak link: sending sound only, no picture',"
  "good:'Good',fair:'Fair',poor:'Poor',rtt:'RTT',loss:'loss',send:'sending',picture:'picture',fps:'fps'}};"
  "const lang=new URLSearchParams(location.search).get('lang')||'@LANG@';const t=T[lang]||T.vi;"
  "document.querySelectorAll('[data-t]').forEach(e=>e.textContent=t[e.dataset.t]);let S={};"
  "function q(s){if(s.loss==null)return '–';const g=s.loss<0.02&&(s.rtt_ms||0)<300?'good':"
  "s.loss<0.1?'fair':'poor';return t[g]+' ('+t.rtt+' '+(s.rtt_ms==null?'–':s.rtt_ms)+' ms, '+t.loss+' '+"
  "(s.loss*100).toFixed(1)+' %, '+t.send+' '+Math.round(s.send_kbps||0)+' kbit/s'+"
  "(s.video&&!s.audio_only?', '+t.picture+' '+s.video.width+'×'+s.video.height+' '+s.video.fps+' '+t.fps:'')+')'}"
  "function show(s){S=s;const e=document.getElementById('state');e.textContent=t[s.state]||s.state;"
  "e.className=s.state;since.textContent=s.since?new Date(s.since).toLocaleString():'–';"
  "quality.textContent=q(s);reconnects.textContent=s.reconnects;room.textContent=s.room||'–';"
  "last_error.textContent=s.last_error||t.none;audio_only.textContent=s.audio_only?t.audio_only:'';"
  "hand.textContent=s.hand_raised?t.hand_down:t.hand_up;mute.textContent=s.muted?t.unmute:t.mute}"
  "function poll(){fetch('status.json').then(r=>r.json()).then(show).catch(()=>{})}"
  "function post(p,v){fetch(p,{method:'POST',body:String(v)}).then(poll)}"
  "hand.onclick=()=>post('hand',!S.hand_raised);mute.onclick=()=>post('mute',!S.muted);"
  "poll();setInterval(poll,1000);</script></body></html>";

static void
reply (SoupServerMessage *msg, guint status, const char *type, char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Cache-Control", "no-store");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
reply_error (SoupServerMessage *msg, guint status, const char *error, const char *detail)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string_or_null (b, "error", error);
  add_string_or_null (b, "detail", detail);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  reply (msg, status, "application/json", json_to_string (root, FALSE));
}

static void
serve_page (BridgeStatusServer *server, SoupServerMessage *msg)
{
  g_autoptr (GString) html = g_string_new (page);

  g_string_replace (html, "@LANG@", server->language, 1);
  reply (msg, SOUP_STATUS_OK, "text/html; charset=utf-8", g_string_free (g_steal_pointer (&html), FALSE));
}

static void
serve_json (BridgeStatusServer *server, SoupServerMessage *msg)
{
  BridgeStatusInfo info = { .rtt_ms = -1, .loss = -1, .recv.video_last_frame_ms_ago = -1 };

  server->hooks->get (&info, server->user_data);
  reply (msg, SOUP_STATUS_OK, "application/json", bridge_status_to_json (&info));
}

/* POST body "true" or "false" (JSON booleans, or a form field "on=1"). */
static gboolean
read_flag (SoupServerMessage *msg, gboolean *value)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strstrip (g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes)));

  if (g_str_equal (text, "true") || g_str_equal (text, "on=1")) {
    *value = TRUE;
    return TRUE;
  }
  if (g_str_equal (text, "false") || g_str_equal (text, "on=0")) {
    *value = FALSE;
    return TRUE;
  }
  return FALSE;
}

static void
serve_flag (BridgeStatusServer *server, SoupServerMessage *msg, const char *path)
{
  gboolean value = FALSE;

  if (!read_flag (msg, &value)) {
    reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad-request", "the body must be true or false");
    return;
  }
  if (g_str_equal (path, "/mute"))
    server->hooks->set_muted (value, server->user_data);
  else
    server->hooks->set_hand (value, server->user_data);
  serve_json (server, msg);
}

static void
on_request (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  BridgeStatusServer *server = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  gboolean post = g_str_equal (method, "POST");

  if (g_str_equal (path, "/") && get)
    serve_page (server, msg);
  else if (g_str_equal (path, "/status.json") && get)
    serve_json (server, msg);
  else if ((g_str_equal (path, "/mute") || g_str_equal (path, "/hand")) && post)
    serve_flag (server, msg, path);
  else if (g_str_equal (path, "/") || g_str_equal (path, "/status.json") || g_str_equal (path, "/mute")
           || g_str_equal (path, "/hand"))
    reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method-not-allowed", "method not allowed here");
  else
    reply_error (msg, SOUP_STATUS_NOT_FOUND, "not-found", "no such page");
}

static char *
bound_url (SoupServer *soup)
{
  GSList *listeners = soup_server_get_listeners (soup);
  g_autoptr (GSocketAddress) local = listeners ? g_socket_get_local_address (listeners->data, NULL) : NULL;

  g_slist_free (listeners);
  if (local == NULL)
    return NULL;
  GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local));
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_autofree char *host = g_inet_address_to_string (inet);
  if (g_inet_address_get_is_any (inet))
    return g_strdup_printf ("http://127.0.0.1:%u/", port);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u/", host, port);
  return g_strdup_printf ("http://%s:%u/", host, port);
}

BridgeStatusServer *
bridge_status_server_new (const char *listen, const char *language, const BridgeStatusHooks *hooks,
                          gpointer user_data, GError **error)
{
  guint16 port = 0;
  g_autofree char *host = bridge_parse_listen (listen, &port, error);
  if (host == NULL)
    return NULL;
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (host);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, port);
  g_autoptr (BridgeStatusServer) server = g_new0 (BridgeStatusServer, 1);

  server->hooks = hooks;
  server->user_data = user_data;
  server->language = g_strdup (g_str_equal (language, "en") ? "en" : "vi");
  server->soup = soup_server_new ("server-header", "bridge-agent ", NULL);
  soup_server_add_handler (server->soup, NULL, on_request, server, NULL);
  if (!soup_server_listen (server->soup, address, 0, error)) {
    g_prefix_error (error, "cannot listen on %s for the status page: ", listen);
    return NULL;
  }
  server->url = bound_url (server->soup);
  return g_steal_pointer (&server);
}

void
bridge_status_server_free (BridgeStatusServer *server)
{
  if (server->soup != NULL) {
    soup_server_disconnect (server->soup);
    g_object_unref (server->soup);
  }
  g_free (server->language);
  g_free (server->url);
  g_free (server);
}

char *
bridge_status_server_get_url (BridgeStatusServer *server)
{
  return g_strdup (server->url);
}
