/* SPDX-License-Identifier: MIT */
/*
 * McuSite: a seat in a room — one bridge point (điểm cầu) with its name, its moderation state and its
 * link history. The seat outlives the site's connection: a site that drops keeps its seat (name, mute,
 * raised hand) and takes it back when it re-joins.
 *
 * A seat is in one of three states: connected (a live session), held (the site dropped less than the
 * room's grace period ago: its seat waits for it) or absent (never came, or the grace period ran out).
 *
 * Threads: control thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _McuSite McuSite;

typedef enum {
  MCU_SITE_ABSENT,
  MCU_SITE_CONNECTED,
  MCU_SITE_HELD,       /* dropped, seat kept for the grace period */
} McuSiteState;

/* The link as last measured (filled by the room from its session's counters every couple of seconds). */
typedef struct {
  gboolean valid;          /* FALSE until a first measurement */
  double rtt_ms;           /* -1 until known */
  double loss_in;          /* 0-1: what we lose of the site's media (worst of audio/video) */
  double loss_out;         /* 0-1: what the site reports losing of ours */
  double jitter_ms;        /* interarrival jitter of the site's media (worst kind) */
  guint32 bitrate_in_bps;
  guint32 bitrate_out_bps;
  guint64 packets_in, bytes_in, lost_in, nacks_in;   /* cumulative, this session */
  guint64 audio_packets_in;  /* of packets_in: its microphone's */
  guint64 packets_out, bytes_out, nacks_out;
  gint64 sampled_us;       /* monotonic time of the measurement */
  gint tier;               /* composite tier the site receives, -1 = none (echo room) */
  gboolean video_decoded;  /* its camera is in view and decoded by the mixer */
  gint video_tile;         /* its tile in the layout (0 = main tile of 1+N), -1 = not in view */
  guint64 video_frames_decoded;
  guint64 malformed_in;    /* packets dropped as malformed (transport + RTP/RTCP) */
  guint64 decrypt_failures;
} McuSiteLink;

/* (transfer full). @token_site: TRUE for a site that joins by token, FALSE for a guest. */
McuSite *mcu_site_new (const char *id, const char *name, gboolean token_site);
McuSite *mcu_site_ref (McuSite *site);
void mcu_site_unref (McuSite *site);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSite, mcu_site_unref)

const char *mcu_site_get_id (McuSite *site);
const char *mcu_site_get_name (McuSite *site);
void mcu_site_set_name (McuSite *site, const char *name);
gboolean mcu_site_is_guest (McuSite *site);

/* Connection bookkeeping: a site may have one live session; a second join replaces the first. */
gboolean mcu_site_is_connected (McuSite *site);
const char *mcu_site_get_session_id (McuSite *site);  /* NULL when not connected */
void mcu_site_set_connected (McuSite *site, const char *session_id);  /* counts re-joins */
void mcu_site_set_disconnected (McuSite *site, const char *session_id); /* ignored if replaced */
guint mcu_site_get_joins (McuSite *site);
guint mcu_site_get_reconnects (McuSite *site);       /* joins after the first */
gint64 mcu_site_get_connected_since (McuSite *site);  /* real time, µs; 0 when not connected */
gint64 mcu_site_get_first_joined (McuSite *site);     /* real time, µs; 0 = never came */
gint64 mcu_site_get_left_at (McuSite *site);          /* real time, µs of the last drop; 0 = none */

/* Seat holding: after a drop the seat is held until @deadline_us (monotonic); 0 releases it. */
void mcu_site_hold (McuSite *site, gint64 deadline_us);
gint64 mcu_site_get_hold_deadline (McuSite *site);
McuSiteState mcu_site_get_state (McuSite *site);
const char *mcu_site_state_name (McuSiteState state);  /* "connected", "held", "absent" */

/* Moderation state. hand: real time (µs) it was raised, 0 when down; @order breaks ties. */
gboolean mcu_site_get_muted (McuSite *site);
void mcu_site_set_muted (McuSite *site, gboolean muted);
gint64 mcu_site_get_hand_raised (McuSite *site);
guint64 mcu_site_get_hand_order (McuSite *site);
void mcu_site_set_hand (McuSite *site, gint64 raised_at, guint64 order);
gboolean mcu_site_get_talking (McuSite *site);
void mcu_site_set_talking (McuSite *site, gboolean talking);

/* Link figures. (transfer none) */
const McuSiteLink *mcu_site_get_link (McuSite *site);
void mcu_site_set_link (McuSite *site, const McuSiteLink *link);

G_END_DECLS
