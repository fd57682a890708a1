/* SPDX-License-Identifier: MIT */
/*
 * A meeting room's media: the audio and video mixers wired to the sites' sessions.
 *
 * Threads. The session handlers and the 20 ms audio tick run on the room's media thread. The video
 * mixer runs its own threads; what they produce (composite packets, key frame requests for senders,
 * bitrate advice) is copied into fixed-size rings and the media thread drains them, so the packet
 * path and the audio tick never wait on video. Per packet nothing is allocated or logged.
 *
 * Receivers and tiers. Each receiver gets the composite of one output tier (the video mixer encodes
 * each tier once for all its receivers). A receiver starts in start_tier; once a second its own
 * degradation ladder (ladder.c) judges what it reports — loss on our video, RTT over its baseline,
 * what its transport-wide feedback says arrived against what we sent, report freshness — and places it: the sized tiers, then the low-fps thumbnail, then "audio only"
 * (a still with its mark; the audio is untouched). The rungs are the video mixer's output indices. A move
 * takes effect at the new tier's next key frame (requested at the move): until then the receiver keeps
 * the old tier's frames, so its decoder never waits for a key frame on a tier it already gets. A tier's
 * packets are kept once, in its McuRtpHistory; every receiver's session answers its NACKs from there.
 */
#define G_LOG_DOMAIN "mcu-mix"

#include "mix.h"

#include "ladder.h"
#include "timer-source.h"

#include <stdio.h>
#include <string.h>

#define RTP_HEADER 12
#define VIDEO_SLOT_BYTES 1300
#define VIDEO_RING_SLOTS 1024
#define REQUEST_RING_SLOTS 256
#define AUDIO_TICK_US (20 * G_TIME_SPAN_MILLISECOND)
#define TICK_ADVANCE_GUARD_US 4000            /* slack left to each heard talker when the audio clock moves */
#define TICK_ADVANCE_MIN_US 2000              /* move it for at least this much, */
#define TICK_ADVANCE_MAX_US 18000             /* at most this much (less than a tick) */
#define TICK_ADVANCE_GAP_US G_USEC_PER_SEC    /* and at most once a second */
#define TIER_CHECK_US G_USEC_PER_SEC
#define RATE_WINDOW_S 3   /* seconds over which delivered is compared with sent (feedback lags an RTT) */
#define TIER_HISTORY_PACKETS 512   /* ~4.5 s of the 1.2 Mbit/s tier: NACKs come within an RTT or two */
#define TIER_SWITCH_MAX_US (2 * G_USEC_PER_SEC)   /* a move waits this long at most for the key frame */

/* ---- a bounded ring of fixed-size records, written by one thread and drained by another -------- */

typedef struct {
  GMutex lock;
  gsize record_size;
  guint capacity, head, count;
  guint64 dropped;   /* oldest records overwritten because the reader was behind */
  guint8 *records;
} Ring;

static Ring *
ring_new (gsize record_size, guint capacity)
{
  Ring *ring = g_new0 (Ring, 1);

  g_mutex_init (&ring->lock);
  ring->record_size = record_size;
  ring->capacity = capacity;
  ring->records = g_malloc0 (record_size * capacity);
  return ring;
}

static void
ring_free (Ring *ring)
{
  g_mutex_clear (&ring->lock);
  g_free (ring->records);
  g_free (ring);
}

static void
ring_push (Ring *ring, const void *record)
{
  g_mutex_lock (&ring->lock);
  if (ring->count == ring->capacity) {
    ring->head = (ring->head + 1) % ring->capacity;
    ring->count--;
    ring->dropped++;
  }
  guint tail = (ring->head + ring->count) % ring->capacity;
  memcpy (ring->records + tail * ring->record_size, record, ring->record_size);
  ring->count++;
  g_mutex_unlock (&ring->lock);
}

static gboolean
ring_pop (Ring *ring, void *record)
{
  gboolean got = FALSE;

  g_mutex_lock (&ring->lock);
  if (ring->count > 0) {
    memcpy (record, ring->records + ring->head * ring->record_size, ring->record_size);
    ring->head = (ring->head + 1) % ring->capacity;
    ring->count--;
    got = TRUE;
  }
  g_mutex_unlock (&ring->lock);
  return got;
}

typedef struct {
  guint8 tier;
  gboolean marker;
  gboolean keyframe;
  guint16 len;
  guint32 rtp_ts;
  guint8 payload[VIDEO_SLOT_BYTES];
} VideoPacket;

typedef enum { REQUEST_KEYFRAME, REQUEST_CONTENT_KEYFRAME, REQUEST_BITRATE } RequestKind;

typedef struct {
  RequestKind kind;
  guint site_id;
  guint value;
} Request;

/* ---- the mix --------------------------------------------------------------------------------- */

typedef struct {
  McuMix *mix;
  McuSession *session;
  guint id;
  McuAudioSite *audio;
  McuVideoSite *video;
  guint tier;               /* meaningful only when receives_video: the tier whose packets it gets */
  gint next_tier;           /* -1, or the tier it moves to at that tier's next key frame */
  gint64 next_tier_since_us;
  gboolean receives_video;  /* its answer sends video: it is in a tier (an audio-only site is not) */
  McuLadder *ladder;        /* places the site on a rung = output tier (media thread) */
  guint64 sent_bytes;       /* audio + video sent, at the last tier check */
  guint64 delivered_bytes;  /* what its transport-wide feedback says arrived, at the last check */
  guint64 twcc_received;    /* its transport-wide feedback packets, at the last check */
  guint64 window_sent[RATE_WINDOW_S], window_delivered[RATE_WINDOW_S];  /* per second, a ring */
  guint window_next, window_filled;
  guint64 rtcp_received;    /* its RTCP datagrams, at the last tier check */
  gint64 checked_us, last_rtcp_us;  /* 0: never */
  guint32 audio_ts_offset;  /* our RTP timestamps start at a random point per stream */
  guint32 video_ts_offset;
} MixSite;

struct _McuMix {
  GMainContext *context;
  McuAudioMixer *audio;
  McuVideoMixer *video;
  guint n_tiers;             /* outputs: the sized tiers, then the ladder's thumbnail and still */
  guint start_tier;
  McuLadderConfig ladder;
  GPtrArray *tier_sites[MCU_VIDEO_MAX_TIERS];  /* MixSite receiving each tier (media thread) */
  McuRtpHistory *tier_history[MCU_VIDEO_MAX_TIERS];  /* each tier's packets, for its receivers' NACKs */
  guint16 tier_seq[MCU_VIDEO_MAX_TIERS];       /* the tier's own numbering (media thread) */
  gboolean tier_mid_frame[MCU_VIDEO_MAX_TIERS]; /* its last packet ended no frame (media thread) */
  guint tier_waiting[MCU_VIDEO_MAX_TIERS];     /* sites whose next_tier it is (media thread) */
  GHashTable *sites;        /* id → MixSite (media thread) */
  guint next_id;
  GSource *audio_timer;
  gint64 next_tick_us;
  gint64 tick_advanced_us;  /* when the audio clock last moved earlier (advance_tick) */
  GSource *tier_timer;
  GSource *wake;            /* drains the rings; armed from the video threads */
  Ring *video_packets;
  Ring *requests;
  guint8 packet[RTP_HEADER + VIDEO_SLOT_BYTES];  /* scratch for outgoing RTP (media thread) */
  GHashTable *muted;        /* seat ids muted by the operator (media thread) */
  char *pinned;             /* seat id (media thread) */
  char *floor;              /* seat id holding the floor: the main tile stays theirs (media thread) */
  McuMixTalkingFunc on_talking;
  gpointer on_talking_data;
  GMutex stats_lock;
  McuMixStats stats;        /* under stats_lock */
};

void
mcu_mix_config_init (McuMixConfig *config)
{
  memset (config, 0, sizeof *config);
  mcu_audio_mixer_config_init (&config->audio);
  mcu_video_mixer_config_init (&config->video);
  config->start_tier = config->video.n_tiers > 1 ? 1 : 0;
  mcu_ladder_config_init (&config->ladder);
}

/* "1280x720@25:1200000" → a tier; FALSE when it does not read so. */
static gboolean
parse_tier (const char *text, McuVideoTierConfig *tier)
{
  char tail = 0;

  return sscanf (text, " %dx%d@%u:%u %c", &tier->width, &tier->height, &tier->fps, &tier->bitrate_bps, &tail) == 4 &&
         tier->width >= 64 && tier->width <= 1920 && tier->height >= 64 && tier->height <= 1080 &&
         tier->width % 2 == 0 && tier->height % 2 == 0 && tier->fps >= 1 && tier->fps <= 30 &&
         tier->bitrate_bps >= 30000 && tier->bitrate_bps <= 8000000;
}

/* The ladder's extra tiers: "none", or a size like the tiers' with a lower floor on the bitrate. */
static gboolean
load_extra_tier (McuConfig *source, const char *key, McuVideoTierConfig *tier, GError **error)
{
  const char *text = mcu_config_get_string (source, "video", key);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  char tail = 0;

  if (g_ascii_strcasecmp (trimmed, "none") == 0) {
    tier->width = 0;
    return TRUE;
  }
  if (sscanf (text, " %dx%d@%u:%u %c", &tier->width, &tier->height, &tier->fps, &tier->bitrate_bps, &tail) == 4 &&
      tier->width >= 64 && tier->width <= 1920 && tier->height >= 64 && tier->height <= 1080 &&
      tier->width % 2 == 0 && tier->height % 2 == 0 && tier->fps >= 1 && tier->fps <= 30 &&
      tier->bitrate_bps >= 10000 && tier->bitrate_bps <= 8000000)
    return TRUE;
  g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
               "%s:%u: key '%s' needs none or WIDTHxHEIGHT@FPS:BITRATE (even sizes, 64x64 to 1920x1080, "
               "1-30 fps, at least 10000 bit/s), not '%s'", mcu_config_get_origin (source),
               mcu_config_get_line (source, "video", key), key, text);
  return FALSE;
}

gboolean
mcu_mix_config_load (McuMixConfig *config, McuConfig *source, GError **error)
{
  g_auto (GStrv) tiers = g_strsplit (mcu_config_get_string (source, "video", "tiers"), ",", -1);
  guint n = 0;

  mcu_mix_config_init (config);
  config->audio.talkers = mcu_config_get_int (source, "audio", "talkers");
  config->audio.noise_floor_dbov = mcu_config_get_double (source, "audio", "noise-floor");
  config->audio.hangover_ms = mcu_config_get_int (source, "audio", "hangover-ms");
  config->audio.bitrate = mcu_config_get_int (source, "audio", "bitrate");
  config->video.encoder.cpu_used = mcu_config_get_int (source, "video", "cpu-used");
  config->video.talker_hold_ms = mcu_config_get_int (source, "video", "talker-hold-ms");
  config->video.rotation_interval_s = mcu_config_get_int (source, "video", "rotation-interval");
  for (guint i = 0; tiers[i] != NULL; i++) {
    if (n == MCU_VIDEO_MAX_SIZED_TIERS || !parse_tier (tiers[i], &config->video.tiers[n++])) {
      g_set_error (error, MCU_CONFIG_ERROR, MCU_CONFIG_ERROR_VALUE,
                   "%s:%u: key 'tiers' needs 1 to %d sizes written WIDTHxHEIGHT@FPS:BITRATE (even sizes, "
                   "64x64 to 1920x1080, 1-30 fps), not '%s'", mcu_config_get_origin (source),
                   mcu_config_get_line (source, "video", "tiers"), MCU_VIDEO_MAX_SIZED_TIERS, g_strstrip (tiers[i]));
      return FALSE;
    }
  }
  config->video.n_tiers = n;
  if (!load_extra_tier (source, "thumbnail-tier", &config->video.thumbnail, error) ||
      !load_extra_tier (source, "audio-only-tier", &config->video.still, error))
    return FALSE;
  config->ladder.loss_down = mcu_config_get_int (source, "video", "ladder-loss-down") / 100.0;
  if (config->ladder.loss_up >= config->ladder.loss_down)
    config->ladder.loss_up = config->ladder.loss_down * 0.6;
  config->ladder.up_clean_s = mcu_config_get_int (source, "video", "ladder-up-seconds");
  config->ladder.up_clean_max_s = config->ladder.up_clean_s * 8;
  config->start_tier = MIN ((guint) mcu_config_get_int (source, "video", "start-tier"), n - 1);
  return TRUE;
}

static void
write_rtp_header (guint8 *packet, gboolean marker, guint32 ts)
{
  /* Payload type, sequence number and SSRC are stamped by the session's RTP layer. */
  packet[0] = 0x80;
  packet[1] = marker ? 0x80 : 0x00;
  packet[2] = packet[3] = 0;
  packet[4] = ts >> 24;
  packet[5] = ts >> 16;
  packet[6] = ts >> 8;
  packet[7] = ts;
  memset (packet + 8, 0, 4);
}

/* ---- audio (media thread) --------------------------------------------------------------------- */

static void
deliver_audio (McuAudioSite *audio_site, const guint8 *opus, gsize len, guint32 rtp_ts, gint64 wallclock_us,
               gpointer user_data)
{
  McuMix *mix = user_data;
  MixSite *site = g_hash_table_lookup (mix->sites, GUINT_TO_POINTER (mcu_audio_site_get_id (audio_site)));

  if (site == NULL || len > VIDEO_SLOT_BYTES)
    return;
  write_rtp_header (mix->packet, FALSE, rtp_ts + site->audio_ts_offset);
  memcpy (mix->packet + RTP_HEADER, opus, len);
  mcu_session_send (site->session, MCU_MEDIA_AUDIO, mix->packet, RTP_HEADER + len);
}

static MixSite *find_site (McuMix *mix, const char *site_id);

static void
on_talking (guint site_id, gboolean talking, gpointer user_data)
{
  McuMix *mix = user_data;
  MixSite *site = g_hash_table_lookup (mix->sites, GUINT_TO_POINTER (site_id));

  /* The floor holder keeps the main tile while it is here; in its absence the talker takes it. */
  if (talking && (mix->floor == NULL || find_site (mix, mix->floor) == NULL))
    mcu_video_mixer_set_main_talker (mix->video, site_id);
  if (site != NULL && mix->on_talking != NULL)
    mix->on_talking (mcu_session_get_site_id (site->session), talking, mix->on_talking_data);
}

/* The heard talkers' audio is often due a little before the tick (the phase between their packets and
 * our clock is anything in 0-20 ms): move the clock earlier by what they all can spare, less a guard, so
 * that their audio waits about what their jitter needs. The guard keeps a talker from falling under its
 * target when its fastest transit creeps up a little (that would stall it: a concealed frame). Listeners
 * see one shorter interval between two packets. */
static void
advance_tick (McuMix *mix, gint64 now)
{
  gint64 move = mcu_audio_mixer_get_tick_slack_us (mix->audio) - TICK_ADVANCE_GUARD_US;

  if (move < TICK_ADVANCE_MIN_US || now - mix->tick_advanced_us < TICK_ADVANCE_GAP_US)
    return;
  mix->next_tick_us -= MIN (move, TICK_ADVANCE_MAX_US);
  mix->tick_advanced_us = now;
}

static gboolean
on_audio_timer (gpointer user_data)
{
  McuMix *mix = user_data;
  gint64 now = g_get_monotonic_time ();

  /* One tick per 20 ms of wall time; after a long stall, catch up at most 5 frames and resync. */
  if (now - mix->next_tick_us > 5 * AUDIO_TICK_US)
    mix->next_tick_us = now - 5 * AUDIO_TICK_US;
  while (mix->next_tick_us <= now) {
    mcu_audio_mixer_tick (mix->audio, mix->next_tick_us);
    mix->next_tick_us += AUDIO_TICK_US;
  }
  advance_tick (mix, now);
  g_source_set_ready_time (mix->audio_timer, mix->next_tick_us);
  return G_SOURCE_CONTINUE;
}

/* ---- video: from the video threads ------------------------------------------------------------ */

static void
on_video_packet (guint tier, const guint8 *payload, gsize len, guint32 rtp_ts, gboolean marker, gboolean keyframe,
                 gpointer user_data)
{
  McuMix *mix = user_data;
  VideoPacket packet = { .tier = tier, .marker = marker, .keyframe = keyframe, .len = len, .rtp_ts = rtp_ts };

  if (len > VIDEO_SLOT_BYTES)
    return;
  memcpy (packet.payload, payload, len);
  ring_push (mix->video_packets, &packet);
  g_source_set_ready_time (mix->wake, 0);
}

static void
post_request (McuMix *mix, RequestKind kind, guint site_id, guint value)
{
  Request request = { kind, site_id, value };

  ring_push (mix->requests, &request);
  g_source_set_ready_time (mix->wake, 0);
}

static void
on_request_keyframe (guint site_id, gboolean content, gpointer user_data)
{
  post_request (user_data, content ? REQUEST_CONTENT_KEYFRAME : REQUEST_KEYFRAME, site_id, 0);
}

static void
on_sender_bitrate (guint site_id, guint bps, gpointer user_data)
{
  post_request (user_data, REQUEST_BITRATE, site_id, bps);
}

/* ---- video: on the media thread --------------------------------------------------------------- */

static void switch_waiting_sites (McuMix *mix, guint tier);

static void
send_video (McuMix *mix, const VideoPacket *packet)
{
  GPtrArray *receivers = mix->tier_sites[packet->tier];
  McuRtpHistory *history = mix->tier_history[packet->tier];
  gsize len = RTP_HEADER + packet->len;
  gboolean frame_start = !mix->tier_mid_frame[packet->tier];

  mix->tier_mid_frame[packet->tier] = !packet->marker;
  if (frame_start && packet->keyframe && mix->tier_waiting[packet->tier] > 0)
    switch_waiting_sites (mix, packet->tier);

  /* Kept once per tier: each receiver's session restamps it and answers its NACKs from here. */
  write_rtp_header (mix->packet, packet->marker, packet->rtp_ts);
  mcu_rtp_set_seq (mix->packet, mix->tier_seq[packet->tier]++);
  memcpy (mix->packet + RTP_HEADER, packet->payload, packet->len);
  mcu_rtp_history_put (history, mix->packet, len);
  for (guint i = 0; i < receivers->len; i++) {
    MixSite *site = g_ptr_array_index (receivers, i);
    mcu_session_send_shared (site->session, MCU_MEDIA_VIDEO, mix->packet, len, history, site->video_ts_offset);
  }
}

static void
handle_request (McuMix *mix, const Request *request)
{
  MixSite *site = g_hash_table_lookup (mix->sites, GUINT_TO_POINTER (request->site_id));

  if (site == NULL)
    return;
  switch (request->kind) {
    case REQUEST_KEYFRAME:
      mcu_session_request_keyframe (site->session, MCU_MEDIA_VIDEO);
      break;
    case REQUEST_CONTENT_KEYFRAME:
      mcu_session_request_keyframe (site->session, MCU_MEDIA_CONTENT);
      break;
    case REQUEST_BITRATE:
      mcu_session_set_remb (site->session, request->value);
      break;
  }
}

/* Calls @func on every site's session. The set of sites does not change while on_wake runs. */
static void
each_session (McuMix *mix, void (*func) (McuSession *session))
{
  GHashTableIter iter;
  MixSite *site;

  g_hash_table_iter_init (&iter, mix->sites);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &site))
    func (site->session);
}

static gboolean
on_wake (gpointer user_data)
{
  McuMix *mix = user_data;
  VideoPacket packet;
  Request request;

  g_source_set_ready_time (mix->wake, -1);
  /* What one wake-up sends a site (a frame's packets, feedback) leaves in one batch: one system
   * call per run of equal-sized packets instead of one per packet. */
  each_session (mix, mcu_session_begin_batch);
  while (ring_pop (mix->requests, &request))
    handle_request (mix, &request);
  while (ring_pop (mix->video_packets, &packet))
    send_video (mix, &packet);
  each_session (mix, mcu_session_flush_batch);
  return G_SOURCE_CONTINUE;
}

/* A tier is encoded while a site receives it or waits for its key frame. */
static void
update_tier_active (McuMix *mix, guint tier)
{
  mcu_video_mixer_set_tier_active (mix->video, tier, mix->tier_sites[tier]->len > 0 || mix->tier_waiting[tier] > 0);
}

static void
forget_next_tier (McuMix *mix, MixSite *site)
{
  if (site->next_tier < 0)
    return;
  guint next = (guint) site->next_tier;
  site->next_tier = -1;
  mix->tier_waiting[next]--;
  update_tier_active (mix, next);
}

/* The site gets @tier's packets from now on. */
static void
switch_tier (McuMix *mix, MixSite *site, guint tier)
{
  forget_next_tier (mix, site);
  g_ptr_array_remove_fast (mix->tier_sites[site->tier], site);
  update_tier_active (mix, site->tier);
  site->tier = tier;
  g_ptr_array_add (mix->tier_sites[tier], site);
  update_tier_active (mix, tier);
}

/* Media thread, at the first packet of @tier's key frame: the sites waiting for it switch there, so
 * their decoders go on from the old tier's last frame straight to the new tier's key frame. */
static void
switch_waiting_sites (McuMix *mix, guint tier)
{
  GHashTableIter iter;
  MixSite *site;

  g_hash_table_iter_init (&iter, mix->sites);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &site))
    if (site->next_tier == (gint) tier)
      switch_tier (mix, site, tier);
}

/* The receiver's decoder cannot continue another tier's stream: it moves at the new tier's next key
 * frame (requested now), and keeps the old tier's frames until then. Before, it was moved at once
 * and saw nothing it could decode until that key frame had been encoded and had crossed its link
 * (a freeze at each move on a 3G link). */
static void
move_to_tier (McuMix *mix, MixSite *site, guint tier, gint64 now_us)
{
  forget_next_tier (mix, site);
  if (tier == site->tier)
    return;
  site->next_tier = (gint) tier;
  site->next_tier_since_us = now_us;
  mix->tier_waiting[tier]++;
  update_tier_active (mix, tier);
  mcu_video_mixer_request_keyframe (mix->video, tier);
}

/* A move whose key frame never came (lost in a full ring, an encoder error): switch and ask again. */
static void
check_tier_switch (McuMix *mix, MixSite *site, gint64 now_us)
{
  if (site->next_tier < 0 || now_us - site->next_tier_since_us < TIER_SWITCH_MAX_US)
    return;
  guint tier = (guint) site->next_tier;
  switch_tier (mix, site, tier);
  mcu_video_mixer_request_keyframe (mix->video, tier);
}

static void
snapshot_stats (McuMix *mix)
{
  McuMixStats stats = { 0 };

  mcu_audio_mixer_get_stats (mix->audio, &stats.audio);
  mcu_video_mixer_get_stats (mix->video, &stats.video);
  for (guint t = 0; t < MCU_VIDEO_MAX_TIERS; t++)
    stats.receivers[t] = mix->tier_sites[t]->len;
  g_mutex_lock (&mix->stats_lock);
  mix->stats = stats;
  g_mutex_unlock (&mix->stats_lock);
}

void
mcu_mix_get_stats (McuMix *mix, McuMixStats *stats)
{
  g_mutex_lock (&mix->stats_lock);
  *stats = mix->stats;
  g_mutex_unlock (&mix->stats_lock);
}

/* What got through this second, from the receiver's transport-wide feedback: the share delivered
 * over the last RATE_WINDOW_S seconds applied to this second's rate (feedback comes an RTT late and
 * in bursts, so one second alone swings). -1 (unknown) without feedback this second or before the
 * window is full. */
static double
delivered_estimate (MixSite *site, guint64 sent, guint64 delivered, gboolean feedback, double sent_bps)
{
  guint64 sent_sum = 0, delivered_sum = 0;

  site->window_sent[site->window_next] = sent;
  site->window_delivered[site->window_next] = delivered;
  site->window_next = (site->window_next + 1) % RATE_WINDOW_S;
  site->window_filled = MIN (site->window_filled + 1, RATE_WINDOW_S);
  if (!feedback || site->window_filled < RATE_WINDOW_S)
    return -1;
  for (guint i = 0; i < RATE_WINDOW_S; i++) {
    sent_sum += site->window_sent[i];
    delivered_sum += site->window_delivered[i];
  }
  return sent_sum > 0 ? sent_bps * (double) delivered_sum / (double) sent_sum : -1;
}

/* One second of what @site reports about our media, for its ladder. */
static McuLadderSample
ladder_sample (MixSite *site, const McuSessionStats *stats, gint64 now_us)
{
  guint64 sent = stats->rtp.send[MCU_MEDIA_AUDIO].bytes + stats->rtp.send[MCU_MEDIA_VIDEO].bytes;
  McuLadderSample sample = {
    .loss = stats->rtp.send[MCU_MEDIA_VIDEO].remote_fraction_lost,
    .rtt_ms = stats->rtp.rtt_ms,
    .delivered_bps = -1,   /* unknown unless transport-wide feedback came this second */
    .report_age_s = -1,
  };

  if (stats->rtp.rtcp_received != site->rtcp_received) {
    sample.reports = (guint) MIN (stats->rtp.rtcp_received - site->rtcp_received, G_MAXUINT);
    site->rtcp_received = stats->rtp.rtcp_received;
    site->last_rtcp_us = now_us;
  }
  if (site->last_rtcp_us > 0)
    sample.report_age_s = (now_us - site->last_rtcp_us) / 1e6;
  if (site->checked_us > 0 && now_us > site->checked_us) {
    sample.sent_bps = (sent - site->sent_bytes) * 8.0 * G_USEC_PER_SEC / (now_us - site->checked_us);
    sample.delivered_bps = delivered_estimate (site, sent - site->sent_bytes,
                                               stats->rtp.twcc_delivered_bytes - site->delivered_bytes,
                                               stats->rtp.twcc_received != site->twcc_received, sample.sent_bps);
  }
  site->sent_bytes = sent;
  site->delivered_bytes = stats->rtp.twcc_delivered_bytes;
  site->twcc_received = stats->rtp.twcc_received;
  site->checked_us = now_us;
  return sample;
}

static void
check_ladder (McuMix *mix, MixSite *site, const McuSessionStats *stats, gint64 now_us)
{
  McuLadderSample sample = ladder_sample (site, stats, now_us);
  McuLadderMove move = mcu_ladder_step (site->ladder, &sample);
  guint rung = mcu_ladder_get_rung (site->ladder);
  g_debug ("site %s: ladder: loss %.3f (smoothed %.3f, audio %.3f), rtt %.0f (smoothed %.0f, baseline %.0f), "
           "reports %.1f s old, sent %.0f bit/s, delivered %.0f bit/s, rung %u", mcu_session_get_site_id (site->session), sample.loss,
           mcu_ladder_get_smoothed_loss (site->ladder), stats->rtp.send[MCU_MEDIA_AUDIO].remote_fraction_lost,
           sample.rtt_ms, mcu_ladder_get_smoothed_rtt (site->ladder), mcu_ladder_get_baseline_rtt (site->ladder),
           sample.report_age_s, sample.sent_bps, sample.delivered_bps, rung);
  guint target = site->next_tier >= 0 ? (guint) site->next_tier : site->tier;
  if (move == MCU_LADDER_HOLD || rung == target)
    return;
  g_message ("site %s: %s (loss %.0f %%, rtt %.0f ms over a %.0f ms baseline, reports %.1f s old), "
             "tier %u -> %u", mcu_session_get_site_id (site->session), mcu_ladder_move_name (move),
             sample.loss * 100, mcu_ladder_get_smoothed_rtt (site->ladder),
             mcu_ladder_get_baseline_rtt (site->ladder), sample.report_age_s, target, rung);
  move_to_tier (mix, site, rung, now_us);
}

/* Once a second: each receiver's ladder places it on a tier; the session learns its tier and whether
 * its camera is decoded (for the roster and /metrics). */
static gboolean
on_tier_timer (gpointer user_data)
{
  McuMix *mix = user_data;
  GHashTableIter iter;
  MixSite *site;
  McuSessionStats stats;
  McuVideoSiteStats video;
  gint64 now_us = g_get_monotonic_time ();

  snapshot_stats (mix);
  g_hash_table_iter_init (&iter, mix->sites);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &site)) {
    if (!mcu_video_mixer_get_site_stats (mix->video, site->id, &video))
      video = (McuVideoSiteStats) { .tile = -1 };
    mcu_session_set_mix_state (site->session, site->receives_video ? (gint) site->tier : -1, video.decoding,
                               video.tile, video.decoded_frames);
    mcu_session_get_stats (site->session, &stats);
    mcu_audio_site_set_listener_loss (site->audio, stats.rtp.send[MCU_MEDIA_AUDIO].remote_fraction_lost);
    if (site->video != NULL)
      mcu_video_site_set_rtt_ms (site->video, stats.rtp.rtt_ms);   /* how long its video's holes wait */
    if (site->receives_video) {
      check_tier_switch (mix, site, now_us);
      check_ladder (mix, site, &stats, now_us);
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ---- sessions (media thread) ------------------------------------------------------------------ */

/* Whether the site takes the composite: its video m-line was accepted and we send on it. A site that
 * refused video (a telephone-like audio-only client) is in no tier, so no tier is encoded for it. */
static gboolean
receives_video (McuSession *session)
{
  const McuSdpNegotiated *negotiated = mcu_session_get_negotiated (session);
  const McuSdpNegotiatedMedia *video = negotiated ? mcu_sdp_negotiated_find (negotiated, MCU_SDP_MEDIA_VIDEO) : NULL;

  return video != NULL && (video->direction & MCU_SDP_DIRECTION_SENDONLY) != 0;
}

static void
mix_attach (McuSession *session, gpointer user_data)
{
  McuMix *mix = user_data;
  MixSite *site = g_new0 (MixSite, 1);
  g_autoptr (GError) error = NULL;

  site->mix = mix;
  site->session = mcu_session_ref (session);
  site->id = ++mix->next_id;
  site->audio_ts_offset = g_random_int ();
  site->video_ts_offset = g_random_int ();
  site->audio = mcu_audio_mixer_add_site (mix->audio, site->id);
  site->video = mcu_video_mixer_add_site (mix->video, site->id, mcu_session_get_site_name (session), &error);
  if (site->video == NULL)
    g_warning ("site %s: no video tile: %s", mcu_session_get_site_id (session), error->message);
  site->tier = MIN (mix->start_tier, mix->n_tiers - 1);
  site->next_tier = -1;
  site->ladder = mcu_ladder_new (&mix->ladder, mix->n_tiers, site->tier);
  site->receives_video = receives_video (session);
  if (site->receives_video) {
    g_ptr_array_add (mix->tier_sites[site->tier], site);
    mcu_video_mixer_set_tier_active (mix->video, site->tier, TRUE);
    mcu_video_mixer_request_keyframe (mix->video, site->tier);
  }
  g_hash_table_insert (mix->sites, GUINT_TO_POINTER (site->id), site);
  mcu_session_set_media_data (session, site);
  if (g_hash_table_contains (mix->muted, mcu_session_get_site_id (session)))
    mcu_audio_site_set_muted (site->audio, TRUE, FALSE);
  if (g_strcmp0 (mix->pinned, mcu_session_get_site_id (session)) == 0)
    mcu_video_mixer_pin (mix->video, site->id);
  if (g_strcmp0 (mix->floor, mcu_session_get_site_id (session)) == 0)
    mcu_video_mixer_set_main_talker (mix->video, site->id);
}

static void
mix_detach (McuSession *session, gpointer user_data)
{
  McuMix *mix = user_data;
  MixSite *site = mcu_session_get_media_data (session);

  if (site == NULL)
    return;
  mcu_session_set_media_data (session, NULL);
  g_hash_table_remove (mix->sites, GUINT_TO_POINTER (site->id));
  forget_next_tier (mix, site);
  g_ptr_array_remove_fast (mix->tier_sites[site->tier], site);
  update_tier_active (mix, site->tier);
  mcu_audio_mixer_remove_site (mix->audio, site->audio);
  if (site->video != NULL)
    mcu_video_mixer_remove_site (mix->video, site->video);
  mcu_ladder_free (site->ladder);
  mcu_session_unref (site->session);
  g_free (site);
}

static void
mix_media (McuSession *session, McuMediaKind kind, guint8 *packet, gsize len, const McuRtpInfo *info,
           gpointer user_data)
{
  MixSite *site = mcu_session_get_media_data (session);
  const guint8 *payload = packet + info->payload_offset;

  if (site == NULL)
    return;
  switch (kind) {
    case MCU_MEDIA_AUDIO:
      mcu_audio_site_push (site->audio, payload, info->payload_len, info->seq, info->ts, info->audio_level,
                           info->arrival_us);
      break;
    case MCU_MEDIA_VIDEO:
      if (site->video != NULL)
        mcu_video_site_push_rtp (site->video, payload, info->payload_len, info->ssrc, info->seq, info->ts,
                                 info->marker, info->retransmitted, info->arrival_us);
      break;
    case MCU_MEDIA_CONTENT:
      if (site->video != NULL)
        mcu_video_site_push_content_rtp (site->video, payload, info->payload_len, info->ssrc, info->seq,
                                         info->ts, info->marker, info->retransmitted, info->arrival_us);
      break;
    default:
      break;
  }
}

static void
mix_keyframe_request (McuSession *session, McuMediaKind kind, gpointer user_data)
{
  McuMix *mix = user_data;
  MixSite *site = mcu_session_get_media_data (session);

  if (site != NULL && site->receives_video && kind != MCU_MEDIA_AUDIO)
    mcu_video_mixer_request_keyframe (mix->video, site->tier);
}

static const McuSessionMedia mix_handlers = {
  .on_attach = mix_attach,
  .on_detach = mix_detach,
  .on_media = mix_media,
  .on_keyframe_request = mix_keyframe_request,
};

const McuSessionMedia *
mcu_mix_media (void)
{
  return &mix_handlers;
}

/* ---- moderation: control thread → media thread ----------------------------------------------- */

typedef enum { COMMAND_MUTE, COMMAND_UNMUTE, COMMAND_FLOOR, COMMAND_PIN } CommandKind;

typedef struct {
  McuMix *mix;
  CommandKind kind;
  char *site_id;   /* NULL: unpin */
} Command;

static void
command_free (gpointer data)
{
  Command *command = data;

  g_free (command->site_id);
  g_free (command);
}

static MixSite *
find_site (McuMix *mix, const char *site_id)
{
  GHashTableIter iter;
  MixSite *site;

  g_hash_table_iter_init (&iter, mix->sites);
  while (site_id != NULL && g_hash_table_iter_next (&iter, NULL, (gpointer *) &site))
    if (g_str_equal (mcu_session_get_site_id (site->session), site_id))
      return site;
  return NULL;
}

static gboolean
run_command (gpointer data)
{
  Command *command = data;
  McuMix *mix = command->mix;
  MixSite *site = find_site (mix, command->site_id);

  switch (command->kind) {
    case COMMAND_MUTE:
    case COMMAND_UNMUTE:
      if (command->kind == COMMAND_MUTE)
        g_hash_table_add (mix->muted, g_strdup (command->site_id));
      else
        g_hash_table_remove (mix->muted, command->site_id);
      if (site != NULL)
        mcu_audio_site_set_muted (site->audio, command->kind == COMMAND_MUTE, FALSE);
      break;
    case COMMAND_FLOOR:
      g_free (mix->floor);
      mix->floor = g_strdup (command->site_id);
      if (site != NULL)
        mcu_video_mixer_set_main_talker (mix->video, site->id);
      break;
    case COMMAND_PIN:
      if (mix->pinned != NULL) {
        MixSite *old = find_site (mix, mix->pinned);
        if (old != NULL)
          mcu_video_mixer_unpin (mix->video, old->id);
      }
      g_free (mix->pinned);
      mix->pinned = g_strdup (command->site_id);
      if (site != NULL)
        mcu_video_mixer_pin (mix->video, site->id);
      break;
  }
  return G_SOURCE_REMOVE;
}

static void
post_command (McuMix *mix, CommandKind kind, const char *site_id)
{
  Command *command = g_new0 (Command, 1);

  command->mix = mix;
  command->kind = kind;
  command->site_id = g_strdup (site_id);
  g_main_context_invoke_full (mix->context, G_PRIORITY_DEFAULT, run_command, command, command_free);
}

void
mcu_mix_set_muted (McuMix *mix, const char *site_id, gboolean muted)
{
  post_command (mix, muted ? COMMAND_MUTE : COMMAND_UNMUTE, site_id);
}

void
mcu_mix_set_floor (McuMix *mix, const char *site_id)
{
  if (site_id != NULL)
    post_command (mix, COMMAND_UNMUTE, site_id);
  post_command (mix, COMMAND_FLOOR, site_id);
}

void
mcu_mix_set_pin (McuMix *mix, const char *site_id)
{
  post_command (mix, COMMAND_PIN, site_id);
}

gboolean
mcu_mix_set_layout (McuMix *mix, const char *layout)
{
  McuVideoLayoutKind kind;

  /* The video mixer's controls take its own lock: no need to cross to the media thread. */
  if (!mcu_video_layout_parse (layout, &kind))
    return FALSE;
  mcu_video_mixer_set_layout (mix->video, kind);
  return TRUE;
}

/* ---- life ------------------------------------------------------------------------------------- */

McuMix *
mcu_mix_new (const McuMixConfig *config, GMainContext *media_context, GError **error)
{
  McuAudioMixerCallbacks audio_callbacks = { .deliver = deliver_audio, .on_talking = on_talking };
  McuVideoMixerCallbacks video_callbacks = {
    .on_packet = on_video_packet,
    .request_keyframe = on_request_keyframe,
    .sender_bitrate = on_sender_bitrate,
  };
  McuMix *mix = g_new0 (McuMix, 1);

  mix->context = g_main_context_ref (media_context);
  g_mutex_init (&mix->stats_lock);
  mix->n_tiers = MAX (config->video.n_tiers, 1);
  mix->start_tier = config->start_tier;
  mix->ladder = config->ladder;
  mix->sites = g_hash_table_new (NULL, NULL);
  mix->muted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  mix->on_talking = config->on_talking;
  mix->on_talking_data = config->on_talking_data;
  for (guint i = 0; i < MCU_VIDEO_MAX_TIERS; i++) {
    mix->tier_sites[i] = g_ptr_array_new ();
    mix->tier_history[i] = mcu_rtp_history_new (TIER_HISTORY_PACKETS);
    mix->tier_seq[i] = (guint16) g_random_int ();
  }
  mix->video_packets = ring_new (sizeof (VideoPacket), VIDEO_RING_SLOTS);
  mix->requests = ring_new (sizeof (Request), REQUEST_RING_SLOTS);
  mix->audio = mcu_audio_mixer_new (&config->audio, &audio_callbacks, mix, error);
  if (mix->audio == NULL)
    goto fail;
  mix->video = mcu_video_mixer_new (&config->video, &video_callbacks, mix, error);
  if (mix->video == NULL)
    goto fail;
  /* No tier is encoded until a site receives it. */
  mix->n_tiers = mcu_video_mixer_get_n_outputs (mix->video);
  mix->ladder.last_is_audio_only = mcu_video_mixer_get_still_tier (mix->video) >= 0;
  for (guint t = 0; t < mix->n_tiers; t++)
    mcu_video_mixer_set_tier_active (mix->video, t, FALSE);
  if (!mcu_video_mixer_start (mix->video, error))
    goto fail;
  mix->next_tick_us = g_get_monotonic_time () + AUDIO_TICK_US;
  /* The tick goes before sockets and the composite's fan-out that are ready at the same time: with
   * many sites a tick waiting behind them is late audio for everyone. */
  mix->audio_timer = mcu_timer_source_attach (mix->context, mix->next_tick_us, G_PRIORITY_HIGH,
                                              on_audio_timer, mix);
  mix->tier_timer = g_timeout_source_new (TIER_CHECK_US / 1000);
  g_source_set_callback (mix->tier_timer, on_tier_timer, mix, NULL);
  g_source_attach (mix->tier_timer, mix->context);
  mix->wake = mcu_timer_source_attach (mix->context, -1, G_PRIORITY_DEFAULT, on_wake, mix);
  return mix;

fail:
  mcu_mix_free (mix);
  return NULL;
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

void
mcu_mix_free (McuMix *mix)
{
  /* The media thread has stopped: no handler or timer runs any more. Stop the video threads first
   * so nothing writes into the rings while they are freed. */
  g_clear_pointer (&mix->video, mcu_video_mixer_free);
  destroy_source (&mix->audio_timer);
  destroy_source (&mix->tier_timer);
  destroy_source (&mix->wake);
  g_clear_pointer (&mix->audio, mcu_audio_mixer_free);
  GHashTableIter iter;
  MixSite *site;
  g_hash_table_iter_init (&iter, mix->sites);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &site)) {
    mcu_session_set_media_data (site->session, NULL);
    mcu_ladder_free (site->ladder);
    mcu_session_unref (site->session);
    g_free (site);
  }
  g_hash_table_unref (mix->sites);
  g_hash_table_unref (mix->muted);
  g_free (mix->pinned);
  g_free (mix->floor);
  for (guint i = 0; i < MCU_VIDEO_MAX_TIERS; i++) {
    g_ptr_array_unref (mix->tier_sites[i]);
    mcu_rtp_history_unref (mix->tier_history[i]);
  }
  ring_free (mix->video_packets);
  ring_free (mix->requests);
  g_main_context_unref (mix->context);
  g_mutex_clear (&mix->stats_lock);
  g_free (mix);
}
