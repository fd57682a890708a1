/* SPDX-License-Identifier: MIT */
/*
 * McuRoom: one meeting room — its settings, its seats (sites), and its media thread.
 *
 * Each room runs its media (ICE, DTLS, RTP, mixing) on its own thread with its own GMainContext, so
 * one busy room cannot stall the HTTP API or another room. The room object itself (settings, seats,
 * the session table) belongs to the control thread; work crosses to the media thread with
 * mcu_room_invoke() and comes back with g_main_context_invoke() on the control context.
 *
 * Threads: every function here is for the control thread unless its comment says otherwise.
 */
#pragma once

#include <gio/gio.h>

#include "config.h"
#include "conference/seats.h"
#include "conference/mix.h"
#include "conference/session.h"

G_BEGIN_DECLS

typedef enum {
  MCU_ROOM_MIX,   /* continuous presence: mixed audio, composite video */
  MCU_ROOM_ECHO,  /* each site receives its own media back: a test before the meeting */
} McuRoomMode;

typedef struct _McuRoom McuRoom;
typedef struct _McuSite McuSite;
typedef struct _McuSession McuSession;

/* What a room is made from: a [room NAME] group, or an admin API request / the state file. */
typedef struct {
  const char *id;
  const char *title;       /* NULL or "" = the id */
  McuRoomMode mode;
  gboolean guests;
  guint max_sites;
  const char *layout;      /* NULL = "auto" */
  gint64 grace_us;         /* seat hold after a drop */
  gboolean from_config;    /* FALSE: created through the API (persisted in the state file) */
  const McuMixConfig *mix; /* mode=mix: the mixers' settings ([audio], [video]); NULL = defaults */
} McuRoomSettings;

/* (transfer full). Reads [room NAME] (and its [site ID] groups) from @config; starts the room's media
 * thread. */
McuRoom *mcu_room_new (McuConfig *config, const char *name, GError **error);
/* (transfer full). A room without token sites (add them with mcu_room_add_token_site). */
McuRoom *mcu_room_new_with_settings (const McuRoomSettings *settings, GError **error);
McuRoom *mcu_room_ref (McuRoom *room);
void mcu_room_unref (McuRoom *room);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuRoom, mcu_room_unref)

const char *mcu_room_get_id (McuRoom *room);
const char *mcu_room_get_title (McuRoom *room);
McuRoomMode mcu_room_get_mode (McuRoom *room);
gboolean mcu_room_get_guests_allowed (McuRoom *room);
guint mcu_room_get_max_sites (McuRoom *room);
gboolean mcu_room_is_from_config (McuRoom *room);
const char *mcu_room_mode_name (McuRoomMode mode);
gboolean mcu_room_parse_mode (const char *text, McuRoomMode *mode);
/* The seat table: roster, moderation, events (transfer none). Control thread. */
McuSeats *mcu_room_get_seats (McuRoom *room);

/* The media thread's context (transfer none); any thread. */
GMainContext *mcu_room_get_media_context (McuRoom *room);
/* Runs @func on the media thread (any thread may call; @func runs later, in order). */
void mcu_room_invoke (McuRoom *room, GSourceFunc func, gpointer data, GDestroyNotify notify);

/*
 * Seats. mcu_room_admit() checks who may join: a site token from [site ID] groups of this room, or a
 * guest name when the room allows guests. On success it returns the site's seat (an existing seat for a
 * returning site, kept through a drop) with a reference.
 */
McuSite *mcu_room_admit (McuRoom *room, const char *token, const char *guest_name, GError **error);
guint mcu_room_count_connected (McuRoom *room);

/*
 * Sessions (a site's live WebRTC connections). new_session makes a session wired to the room's media
 * (echo or mix); add_session records it once answered, closing the site's previous session if any (a
 * duplicate join replaces the old one); end_session closes and forgets it and frees the seat's
 * connection (the seat itself stays).
 */
/* The room's mixers (mode=mix), NULL in an echo room. (transfer none) */
McuMix *mcu_room_get_mix (McuRoom *room);

McuSession *mcu_room_new_session (McuRoom *room, McuSite *site, McuCertificate *certificate,
                                  const McuPeerConfig *peer_config);
void mcu_room_add_session (McuRoom *room, McuSite *site, McuSession *session);
McuSession *mcu_room_lookup_session (McuRoom *room, const char *session_id);  /* (transfer none) */
void mcu_room_end_session (McuRoom *room, const char *session_id, const char *reason);

/* A site that joins by token. @api_added: persisted in the state file. */
gboolean mcu_room_add_token_site (McuRoom *room, const char *id, const char *name,
                                  const guint8 digest[MCU_TOKEN_DIGEST_LEN], gboolean api_added,
                                  GError **error);
/* Ends the site's session and releases its seat at once; it may join again after the seat grace
 * period (until then its joins get 403 — its reconnect logic would otherwise bring it straight back). */
gboolean mcu_room_kick (McuRoom *room, const char *site_id, GError **error);
/* For the audio mixer (posted to the control thread): who is talking now. Emits "talking". */
void mcu_room_set_talking (McuRoom *room, const char *site_id, gboolean talking);
/* Samples every live session's counters into its seat's McuSiteLink (rates from the previous
 * sample). Called before the roster, the stats event and /metrics are built. */
void mcu_room_refresh_links (McuRoom *room, gint64 now_us);
/* Closes every session (the room is being deleted); emits "closed". */
void mcu_room_close (McuRoom *room);

G_END_DECLS
