/* SPDX-License-Identifier: MIT */
/*
 * Rooms: settings from [room NAME] (or the admin API), the seat table (seats.c: admission, grace,
 * moderation, events), the live sessions and the media thread.
 *
 * Threads: the McuRoom is owned by the control thread. Its media thread runs a GMainLoop on the room's
 * own GMainContext; sessions (ICE/DTLS/RTP) and mixers live there. The seat-expiry timer runs on the
 * control thread's context (the one current when the room was made). Tokens are compared in constant
 * time (seats.c) and never logged.
 */
#define G_LOG_DOMAIN "mcu-room"

#include "room.h"

#include <string.h>

#include "conference/echo.h"
#include "conference/mix.h"
#include "conference/room-error.h"
#include "conference/site.h"

/* [ice] lite: a site nothing came from for this long is reported DISCONNECTED (its session's media
 * timeout decides when it is gone); browsers send a consent check every ~5 s. */
#define ROOM_SILENT_MS 30000

/* A media-thread post's way back to its room: the room clears @room when it goes, on the control
 * thread, where the posts are also handled. */
typedef struct {
  gatomicrefcount rc;
  McuRoom *room;
  GMainContext *control_context;
} RoomLink;

struct _McuRoom {
  gatomicrefcount rc;
  char *id;
  char *title;
  McuRoomMode mode;
  gboolean guests;
  guint max_sites;
  gboolean from_config;
  gint64 grace_us;

  McuSeats *seats;
  GHashTable *sessions;  /* session id → McuSession (answered, live) */
  GMainContext *control_context;
  GSource *expiry;       /* fires at the next held seat's deadline */

  GMainContext *media_context;
  GMainLoop *media_loop;
  GThread *media_thread;
  McuMix *mix;               /* mode=mix: the room's mixers (NULL in echo rooms) */
  guint mix_watch;           /* seats watch that forwards moderation to the mix */
  RoomLink *link;            /* lets media-thread posts find the room, or learn it is gone */
  McuIcePort *ice_port;      /* [ice] lite: the UDP port all the room's sites use (made at the first) */
  McuPeerConfig lite_config; /* the server's peer config with ice_port set (shallow: borrows its strings) */
};

G_DEFINE_QUARK (mcu-room-error-quark, mcu_room_error)

static gpointer
media_thread_main (gpointer data)
{
  McuRoom *room = data;

  g_main_context_push_thread_default (room->media_context);
  g_main_loop_run (room->media_loop);
  g_main_context_pop_thread_default (room->media_context);
  return NULL;
}

gboolean
mcu_room_parse_mode (const char *text, McuRoomMode *mode)
{
  if (g_strcmp0 (text, "mix") == 0)
    *mode = MCU_ROOM_MIX;
  else if (g_strcmp0 (text, "echo") == 0)
    *mode = MCU_ROOM_ECHO;
  else
    return FALSE;
  return TRUE;
}

const char *
mcu_room_mode_name (McuRoomMode mode)
{
  return mode == MCU_ROOM_ECHO ? "echo" : "mix";
}

static gboolean
load_sites (McuRoom *room, McuConfig *config, GError **error)
{
  g_autofree const char **sites = mcu_config_list (config, "site");

  for (guint i = 0; sites[i] != NULL; i++) {
    g_autofree char *group = g_strconcat ("site ", sites[i], NULL);
    if (!g_str_equal (mcu_config_get_string (config, group, "room"), room->id))
      continue;
    const char *token = mcu_config_get_string (config, group, "token");
    guint8 digest[MCU_TOKEN_DIGEST_LEN];
    g_autoptr (GError) local = NULL;
    if (strlen (token) < 8) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                   "%s:%u: [%s] token must be at least 8 characters", mcu_config_get_origin (config),
                   mcu_config_get_line (config, group, "token"), group);
      return FALSE;
    }
    mcu_token_digest (token, digest);
    if (!mcu_seats_add_token_site (room->seats, sites[i], mcu_config_get_string (config, group, "name"),
                                   digest, FALSE, &local)) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "%s:%u: [%s] %s",
                   mcu_config_get_origin (config), mcu_config_get_line (config, group, "token"), group,
                   local->message);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- the mix: moderation in, talking out ------------------------------------------------------- */

static RoomLink *
room_link_ref (RoomLink *link)
{
  g_atomic_ref_count_inc (&link->rc);
  return link;
}

static void
room_link_unref (RoomLink *link)
{
  if (g_atomic_ref_count_dec (&link->rc))
    g_free (link);
}

typedef struct {
  RoomLink *link;
  char *site_id;
  gboolean talking;
} Talking;

static void
talking_free (gpointer data)
{
  Talking *talking = data;

  room_link_unref (talking->link);
  g_free (talking->site_id);
  g_free (talking);
}

static gboolean
apply_talking (gpointer data)
{
  Talking *talking = data;

  if (talking->link->room != NULL)
    mcu_seats_set_talking (talking->link->room->seats, talking->site_id, talking->talking);
  return G_SOURCE_REMOVE;
}

/* Media thread: the audio mixer's talking events go to the seats (and so to the API) on the control
 * thread. */
static void
on_mix_talking (const char *site_id, gboolean talking, gpointer user_data)
{
  RoomLink *link = user_data;
  Talking *event = g_new0 (Talking, 1);

  event->link = room_link_ref (link);
  event->site_id = g_strdup (site_id);
  event->talking = talking;
  g_main_context_invoke_full (link->control_context, G_PRIORITY_DEFAULT, apply_talking, event, talking_free);
}

static const char *
event_site (JsonObject *data)
{
  return json_object_has_member (data, "site_id") && !json_object_get_null_member (data, "site_id")
             ? json_object_get_string_member (data, "site_id") : NULL;
}

/* Control thread: moderation decided on the seats reaches the mixers. */
static void
on_seat_event_for_mix (const char *event, JsonObject *data, gpointer user_data)
{
  McuRoom *room = user_data;

  if (g_str_equal (event, "muted"))
    mcu_mix_set_muted (room->mix, event_site (data), json_object_get_boolean_member (data, "muted"));
  else if (g_str_equal (event, "floor"))
    mcu_mix_set_floor (room->mix, event_site (data));
  else if (g_str_equal (event, "pin"))
    mcu_mix_set_pin (room->mix, event_site (data));
  else if (g_str_equal (event, "layout"))
    mcu_mix_set_layout (room->mix, json_object_get_string_member (data, "layout"));
}

static gboolean
start_mix (McuRoom *room, const McuMixConfig *settings, GError **error)
{
  McuMixConfig config;

  if (settings != NULL)
    config = *settings;
  else
    mcu_mix_config_init (&config);
  config.on_talking = on_mix_talking;
  config.on_talking_data = room->link;
  room->mix = mcu_mix_new (&config, room->media_context, error);
  if (room->mix == NULL)
    return FALSE;
  mcu_mix_set_layout (room->mix, mcu_seats_get_layout (room->seats));
  room->mix_watch = mcu_seats_watch (room->seats, on_seat_event_for_mix, room);
  return TRUE;
}

McuRoom *
mcu_room_new_with_settings (const McuRoomSettings *settings, GError **error)
{
  g_autoptr (McuRoom) room = g_new0 (McuRoom, 1);

  g_atomic_ref_count_init (&room->rc);
  room->id = g_strdup (settings->id);
  room->title = g_strdup (settings->title && *settings->title ? settings->title : settings->id);
  room->mode = settings->mode;
  room->guests = settings->guests;
  room->max_sites = settings->max_sites;
  room->from_config = settings->from_config;
  room->grace_us = settings->grace_us;
  room->seats = mcu_seats_new (settings->id, settings->guests, settings->max_sites, settings->grace_us);
  room->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) mcu_session_unref);
  room->control_context = g_main_context_ref_thread_default ();
  room->media_context = g_main_context_new ();
  room->media_loop = g_main_loop_new (room->media_context, FALSE);
  if (settings->layout != NULL && !mcu_seats_set_layout (room->seats, settings->layout, error))
    return NULL;
  room->link = g_new0 (RoomLink, 1);
  g_atomic_ref_count_init (&room->link->rc);
  room->link->room = room;
  room->link->control_context = room->control_context;
  if (room->mode == MCU_ROOM_MIX && !start_mix (room, settings->mix, error))
    return NULL;
  g_autofree char *thread_name = g_strdup_printf ("room-%.8s", settings->id);
  room->media_thread = g_thread_new (thread_name, media_thread_main, room);
  return g_steal_pointer (&room);
}

McuRoom *
mcu_room_new (McuConfig *config, const char *name, GError **error)
{
  g_autofree char *group = g_strconcat ("room ", name, NULL);
  const char *mode = mcu_config_get_string (config, group, "mode");
  const char *layout = mcu_config_get_string (config, group, "layout");
  McuRoomSettings settings = {
    .id = name,
    .title = mcu_config_get_string (config, group, "title"),
    .guests = mcu_config_get_bool (config, group, "guests"),
    .max_sites = mcu_config_get_int (config, group, "max-sites"),
    .grace_us = (gint64) mcu_config_get_int (config, "server", "seat-grace") * G_USEC_PER_SEC,
    .from_config = TRUE,
  };

  if (!mcu_room_parse_mode (mode, &settings.mode)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "%s:%u: key 'mode' must be mix or echo, not '%s'",
                 mcu_config_get_origin (config), mcu_config_get_line (config, group, "mode"), mode);
    return NULL;
  }
  if (!mcu_seats_layout_valid (layout)) {
    g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE, "%s:%u: key 'layout': unknown layout '%s'",
                 mcu_config_get_origin (config), mcu_config_get_line (config, group, "layout"), layout);
    return NULL;
  }
  settings.layout = layout;
  McuMixConfig mix;
  if (!mcu_mix_config_load (&mix, config, error))
    return NULL;
  settings.mix = &mix;
  g_autoptr (McuRoom) room = mcu_room_new_with_settings (&settings, error);
  if (room == NULL || !load_sites (room, config, error))
    return NULL;
  return g_steal_pointer (&room);
}

McuRoom *
mcu_room_ref (McuRoom *room)
{
  g_atomic_ref_count_inc (&room->rc);
  return room;
}

static gboolean
quit_media_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
cancel_expiry (McuRoom *room)
{
  if (room->expiry != NULL) {
    g_source_destroy (room->expiry);
    g_clear_pointer (&room->expiry, g_source_unref);
  }
}

void
mcu_room_unref (McuRoom *room)
{
  if (!g_atomic_ref_count_dec (&room->rc))
    return;
  GHashTableIter iter;
  gpointer session;
  g_hash_table_iter_init (&iter, room->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    mcu_session_close (session);
  g_hash_table_unref (room->sessions);
  cancel_expiry (room);
  if (room->media_thread != NULL) {
    g_main_context_invoke (room->media_context, quit_media_loop, room->media_loop);
    g_thread_join (room->media_thread);
  }
  if (room->mix_watch != 0)
    mcu_seats_unwatch (room->seats, room->mix_watch);
  g_clear_pointer (&room->mix, mcu_mix_free);   /* after the media thread: no handler runs any more */
  g_clear_pointer (&room->ice_port, mcu_ice_port_unref);
  if (room->link != NULL) {
    room->link->room = NULL;   /* talking events still queued for the control thread are dropped */
    room_link_unref (room->link);
  }
  g_main_loop_unref (room->media_loop);
  g_main_context_unref (room->media_context);
  g_main_context_unref (room->control_context);
  mcu_seats_free (room->seats);
  g_free (room->id);
  g_free (room->title);
  g_free (room);
}

const char *
mcu_room_get_id (McuRoom *room)
{
  return room->id;
}

const char *
mcu_room_get_title (McuRoom *room)
{
  return room->title;
}

McuRoomMode
mcu_room_get_mode (McuRoom *room)
{
  return room->mode;
}

gboolean
mcu_room_get_guests_allowed (McuRoom *room)
{
  return room->guests;
}

guint
mcu_room_get_max_sites (McuRoom *room)
{
  return room->max_sites;
}

gboolean
mcu_room_is_from_config (McuRoom *room)
{
  return room->from_config;
}

McuSeats *
mcu_room_get_seats (McuRoom *room)
{
  return room->seats;
}

GMainContext *
mcu_room_get_media_context (McuRoom *room)
{
  return room->media_context;
}

void
mcu_room_invoke (McuRoom *room, GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  g_main_context_invoke_full (room->media_context, G_PRIORITY_DEFAULT, func, data, notify);
}

guint
mcu_room_count_connected (McuRoom *room)
{
  return mcu_seats_count_connected (room->seats);
}

McuSite *
mcu_room_admit (McuRoom *room, const char *token, const char *guest_name, GError **error)
{
  return mcu_seats_admit (room->seats, token, guest_name, g_get_monotonic_time (), error);
}

gboolean
mcu_room_add_token_site (McuRoom *room, const char *id, const char *name,
                         const guint8 digest[MCU_TOKEN_DIGEST_LEN], gboolean api_added, GError **error)
{
  return mcu_seats_add_token_site (room->seats, id, name, digest, api_added, error);
}

/* ---- seat expiry ---------------------------------------------------------------------------------- */

static void schedule_expiry (McuRoom *room);

static gboolean
on_expiry (gpointer data)
{
  McuRoom *room = data;

  g_clear_pointer (&room->expiry, g_source_unref);
  schedule_expiry (room);
  return G_SOURCE_REMOVE;
}

/* Releases what is due now and arms one timer for the next deadline (none while no seat is held). */
static void
schedule_expiry (McuRoom *room)
{
  gint64 now = g_get_monotonic_time ();
  gint64 next = mcu_seats_expire (room->seats, now);

  cancel_expiry (room);
  if (next == 0)
    return;
  room->expiry = g_timeout_source_new ((guint) ((next - now + 999) / 1000));
  g_source_set_callback (room->expiry, on_expiry, room, NULL);
  g_source_attach (room->expiry, room->control_context);
}

/* ---- sessions ------------------------------------------------------------------------------------- */

static void
on_session_ended (McuSession *session, const char *reason, gpointer user_data)
{
  McuRoom *room = user_data;

  if (g_hash_table_lookup (room->sessions, mcu_session_get_id (session)) == session)
    mcu_room_end_session (room, mcu_session_get_id (session), reason);
}

/* [ice] lite: the room's sites share one port, made with the first session. If it cannot be made
 * (no free port in the range) the site gets its own libnice agent, as without lite. */
static const McuPeerConfig *
lite_peer_config (McuRoom *room, const McuPeerConfig *peer_config)
{
  g_autoptr (GError) error = NULL;

  if (!peer_config->ice_lite || peer_config->ice_port != NULL)
    return peer_config;
  if (room->ice_port == NULL) {
    room->ice_port = mcu_ice_port_new (room->media_context, (const char *const *) peer_config->ice_addresses,
                                       peer_config->port_min, peer_config->port_max, peer_config->ice_tcp,
                                       ROOM_SILENT_MS, &error);
    if (room->ice_port == NULL) {
      g_warning ("room %s: no ICE-lite port (%s); this site gets its own ICE agent", room->id, error->message);
      return peer_config;
    }
    g_message ("room %s: sites connect to UDP port %u (ICE-lite)", room->id, mcu_ice_port_get_port (room->ice_port));
  }
  room->lite_config = *peer_config;
  room->lite_config.ice_port = room->ice_port;
  return &room->lite_config;
}

McuSession *
mcu_room_new_session (McuRoom *room, McuSite *site, McuCertificate *certificate,
                      const McuPeerConfig *peer_config)
{
  guint8 random[16];
  for (guint i = 0; i < sizeof random; i += 4) {
    guint32 word = g_random_int ();
    memcpy (random + i, &word, 4);
  }
  g_autofree char *id = g_compute_checksum_for_data (G_CHECKSUM_MD5, random, sizeof random);
  McuSessionSetup setup = {
    .media_context = room->media_context,
    .certificate = certificate,
    .peer_config = lite_peer_config (room, peer_config),
    .site_name = mcu_site_get_name (site),
    .media = room->mode == MCU_ROOM_MIX ? mcu_mix_media () : mcu_echo_media (),
    .media_data = room->mix,
    .ended = on_session_ended,
    .ended_data = room,
  };

  return mcu_session_new (id, mcu_site_get_id (site), &setup);
}

void
mcu_room_add_session (McuRoom *room, McuSite *site, McuSession *session)
{
  const char *previous = mcu_site_get_session_id (site);

  if (previous != NULL) {
    g_message ("room %s: site %s joined again; closing its previous session %s", room->id,
               mcu_site_get_id (site), previous);
    mcu_room_end_session (room, previous, "replaced by a new join");
  }
  g_hash_table_insert (room->sessions, g_strdup (mcu_session_get_id (session)), mcu_session_ref (session));
  mcu_seats_connected (room->seats, site, mcu_session_get_id (session));
  schedule_expiry (room);
  g_message ("room %s: site %s (%s) joined, session %s", room->id, mcu_site_get_id (site),
             mcu_site_get_name (site), mcu_session_get_id (session));
}

McuSession *
mcu_room_lookup_session (McuRoom *room, const char *session_id)
{
  return session_id ? g_hash_table_lookup (room->sessions, session_id) : NULL;
}

void
mcu_room_end_session (McuRoom *room, const char *session_id, const char *reason)
{
  g_autoptr (McuSession) session = NULL;
  g_autofree char *key = NULL;

  if (!g_hash_table_steal_extended (room->sessions, session_id, (gpointer *) &key, (gpointer *) &session))
    return;
  mcu_seats_disconnected (room->seats, mcu_session_get_site_id (session), key, reason,
                          g_get_monotonic_time ());
  schedule_expiry (room);
  mcu_session_close (session);
  g_message ("room %s: session %s of site %s ended: %s", room->id, key, mcu_session_get_site_id (session),
             reason);
}

gboolean
mcu_room_kick (McuRoom *room, const char *site_id, GError **error)
{
  McuSite *site = mcu_seats_lookup (room->seats, site_id);

  if (site == NULL) {
    g_set_error (error, MCU_ROOM_ERROR, MCU_ROOM_ERROR_NO_SITE, "room '%s' has no site '%s'", room->id, site_id);
    return FALSE;
  }
  g_autofree char *session_id = g_strdup (mcu_site_get_session_id (site));
  if (session_id != NULL)
    mcu_room_end_session (room, session_id, "removed by the operator");   /* the seat stays: held */
  JsonObject *data = json_object_new ();
  json_object_set_string_member (data, "site_id", site_id);
  json_object_set_boolean_member (data, "was_connected", session_id != NULL);
  mcu_seats_emit (room->seats, "kicked", data);
  mcu_seats_release (room->seats, site_id, g_get_monotonic_time () + room->grace_us);
  schedule_expiry (room);
  return TRUE;
}

void
mcu_room_set_talking (McuRoom *room, const char *site_id, gboolean talking)
{
  mcu_seats_set_talking (room->seats, site_id, talking);
}

void
mcu_room_close (McuRoom *room)
{
  g_autoptr (GList) ids = g_hash_table_get_keys (room->sessions);
  g_autoptr (GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);

  for (GList *l = ids; l != NULL; l = l->next)
    g_ptr_array_add (copies, g_strdup (l->data));
  for (guint i = 0; i < copies->len; i++)
    mcu_room_end_session (room, g_ptr_array_index (copies, i), "the room was closed");
  cancel_expiry (room);
  mcu_seats_emit (room->seats, "closed", json_object_new ());
}

/* ---- link figures --------------------------------------------------------------------------------- */

static void
fill_link (McuSiteLink *link, const McuSiteLink *previous, const McuSessionStats *stats, gint64 now_us)
{
  const McuRtpStats *rtp = &stats->rtp;

  *link = (McuSiteLink) { .valid = TRUE, .rtt_ms = rtp->rtt_ms, .sampled_us = now_us };
  link->bitrate_in_bps = rtp->receive_bitrate_bps;
  for (guint k = 0; k < MCU_MEDIA_N_KINDS; k++) {
    const McuRtpRecvStats *in = &rtp->recv[k];
    const McuRtpSendStats *out = &rtp->send[k];
    link->loss_in = MAX (link->loss_in, in->fraction_lost);
    link->loss_out = MAX (link->loss_out, out->remote_fraction_lost);
    link->jitter_ms = MAX (link->jitter_ms, in->jitter_ms);
    link->packets_in += in->packets;
    link->bytes_in += in->bytes;
    link->lost_in += in->lost > 0 ? (guint64) in->lost : 0;
    link->nacks_out += in->nack_sent;
    link->packets_out += out->packets;
    link->bytes_out += out->bytes;
    link->nacks_in += out->nack_received;
  }
  link->audio_packets_in = rtp->recv[MCU_MEDIA_AUDIO].packets;
  link->tier = stats->tier;
  link->video_decoded = stats->video_decoded;
  link->video_tile = stats->video_tile;
  link->video_frames_decoded = stats->video_frames_decoded;
  link->malformed_in = stats->peer.malformed + rtp->malformed_rtp + rtp->malformed_rtcp;
  link->decrypt_failures = stats->peer.decrypt_failures;
  gint64 span = now_us - previous->sampled_us;
  if (previous->valid && span > 0 && link->bytes_out >= previous->bytes_out)
    link->bitrate_out_bps = (guint32) ((link->bytes_out - previous->bytes_out) * 8 * G_USEC_PER_SEC / span);
}

void
mcu_room_refresh_links (McuRoom *room, gint64 now_us)
{
  GPtrArray *seats = mcu_seats_list (room->seats);

  for (guint i = 0; i < seats->len; i++) {
    McuSite *site = g_ptr_array_index (seats, i);
    McuSession *session = mcu_room_lookup_session (room, mcu_site_get_session_id (site));
    McuSessionStats stats;
    McuSiteLink link;
    const McuSiteLink *previous = mcu_site_get_link (site);
    /* Samples closer than half a second would make a noisy send rate: keep the last one. */
    if (session == NULL || (previous->valid && now_us - previous->sampled_us < G_USEC_PER_SEC / 2))
      continue;
    mcu_session_get_stats (session, &stats);
    fill_link (&link, previous, &stats, now_us);
    mcu_site_set_link (site, &link);
  }
}

McuMix *
mcu_room_get_mix (McuRoom *room)
{
  return room->mix;
}
