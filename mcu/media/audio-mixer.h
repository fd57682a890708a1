/* SPDX-License-Identifier: MIT */
/*
 * McuAudioMixer: the audio engine of one room. RTP Opus payloads of every site go in; every 20 ms the
 * mixer decodes the sites that may be talking, picks the N loudest above a noise floor (with hangover),
 * mixes them, limits, and encodes K+1 Opus streams: one shared mix heard by every listener and one
 * mix-minus (the mix without the talker's own voice) per selected talker. The encoded frames are handed
 * to the caller, which packetizes and encrypts them per site. Cost: one decode per possibly-talking site
 * and at most N+1 encodes per tick, never one encode per site.
 *
 * Threads: NOT thread-safe. Every function, including the push of packets, is called on one thread: the
 * room's media thread. Callbacks run on that thread, inside mcu_audio_mixer_tick(); they must not add or
 * remove sites or free the mixer.
 *
 * Clocks: every time argument (arrival_us, now_us) is in microseconds from ONE caller clock that must not
 * jump: use g_get_monotonic_time() (tests use a synthetic clock). A frame's wallclock_us is on that
 * clock too; for RTCP SR, add the offset (g_get_real_time() - g_get_monotonic_time()) and convert to
 * NTP. The video compositor should stamp its frames from the same clock so a receiver can align them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_AUDIO_RATE 48000
#define MCU_AUDIO_FRAME_SAMPLES 960 /* 20 ms at 48 kHz: one tick */
#define MCU_AUDIO_MAX_TALKERS 16

#define MCU_AUDIO_ERROR (mcu_audio_error_quark ())
typedef enum {
  MCU_AUDIO_ERROR_OPUS, /* libopus refused to create or configure an encoder */
} McuAudioError;
GQuark mcu_audio_error_quark (void);

typedef struct _McuAudioMixer McuAudioMixer;
typedef struct _McuAudioSite McuAudioSite;

/* A plain struct; mcu_audio_mixer_config_init() fills the defaults (in brackets). */
typedef struct {
  guint talkers;               /* N loudest sites mixed [3], 1..MCU_AUDIO_MAX_TALKERS */
  double noise_floor_dbov;     /* a site below this level is never talking [-50]; between it and
                                * -30 dBov a site must also be 9 dB above its own background */
  guint hangover_ms;           /* a talker stays selected this long after going quiet [500] */
  guint talk_start_ms;         /* continuous speech before a "talking" event [100] */
  guint talk_stop_ms;          /* quiet before a "stopped talking" event [800] */
  guint jitter_min_ms;         /* jitter buffer: lowest target delay [10] */
  guint jitter_start_ms;       /* jitter buffer: target delay of a new stream [40] */
  guint jitter_max_ms;         /* jitter buffer: cap of the delay and of the buffered audio [200] */
  guint bitrate;               /* outbound Opus bit/s [40000] */
  guint complexity;            /* outbound Opus complexity 0..10 [8] */
  guint fec_min_loss_percent;  /* packet-loss hint never below this, keeps in-band FEC on [5] */
} McuAudioMixerConfig;

typedef struct {
  /* Called for every site on every tick (muted ones too: muting stops speaking, not listening).
   * The frame @site should hear this tick (shared mix or its own mix-minus): 20 ms of mono 48 kHz Opus
   * (SDP opus/48000/2; mono decodes everywhere). The same @opus buffer is
   * handed to every listener of one stream; it is valid during the call only. @rtp_ts: 48 kHz clock,
   * continuous over the mixer's life and common to all streams (a site switching between shared and
   * mix-minus sees no jump). @wallclock_us: the tick's now_us, the instant this audio is mixed. */
  void (*deliver) (McuAudioSite *site, const guint8 *opus, gsize len, guint32 rtp_ts,
                   gint64 wallclock_us, gpointer user_data);
  /* A site started or stopped talking (with hysteresis: talk_start_ms / talk_stop_ms). */
  void (*on_talking) (guint site_id, gboolean talking, gpointer user_data);
} McuAudioMixerCallbacks;

typedef struct {
  guint64 ticks;
  guint sites;
  guint tick_us_p50;        /* time spent in tick(), over the last 500 ticks (10 s) */
  guint tick_us_p99;
  guint tick_us_max;
  guint encodes_last_tick;  /* == selected + 1 */
  guint decodes_last_tick;  /* Opus decoder calls (decode, FEC, PLC) in the last tick */
  guint64 encodes_total;
  guint64 decodes_total;
  guint selected;           /* talkers in the mix now */
  guint loss_hint_shared;   /* percent, given to the shared encoder */
  /* Server-added audio latency: how long the heard talkers' audio was held, from the earliest it could
   * have arrived (the jitter buffer's delay) until the mixed packets were handed out at the end of the
   * tick; the largest over the talkers of each tick, over the last 500 ticks that had talkers. It does
   * not include how late the caller ran the tick (see mcu_audio_mixer_tick's @now_us). 0 = none yet. */
  guint held_us_p50;
  guint held_us_p99;
} McuAudioMixerStats;

typedef struct {
  guint site_id;
  guint64 packets;          /* accepted into the jitter buffer */
  guint64 played;           /* frames decoded from their own packet (or skipped as silent) */
  guint64 concealed;        /* frames made up by PLC (lost, or not there in time) */
  guint64 recovered;        /* frames rebuilt from the next packet's in-band FEC */
  guint64 late;             /* packets that arrived after their frame was played or concealed */
  guint64 duplicate;        /* packets already in the buffer */
  guint64 dropped;          /* packets discarded: malformed, too big, beyond the cap, or to shrink delay */
  guint64 expanded;         /* 20 ms inserted to grow the delay */
  guint64 skipped_silent;   /* frames not decoded because RFC 6464 said silence */
  guint64 decode_errors;    /* packets libopus refused (played as silence) */
  guint jitter_target_ms;   /* delay the buffer aims for */
  guint jitter_delay_ms;    /* delay it has now */
  double level_dbov;        /* last measured level (-127 when silent or not decoded) */
  gboolean selected;        /* in the mix now */
  gboolean talking;         /* last talking event sent */
  guint loss_hint;          /* percent, on this site's mix-minus encoder while it is selected */
} McuAudioSiteStats;

void mcu_audio_mixer_config_init (McuAudioMixerConfig *config);

/* Control path. (transfer full). @config is copied; NULL = defaults. Values out of range are clamped.
 * Allocates the N+1 encoders here. Returns NULL with @error if Opus refuses its settings. */
McuAudioMixer *mcu_audio_mixer_new (const McuAudioMixerConfig *config,
                                    const McuAudioMixerCallbacks *callbacks, gpointer user_data,
                                    GError **error);
void mcu_audio_mixer_free (McuAudioMixer *mixer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuAudioMixer, mcu_audio_mixer_free)

/* Control path, allocates (jitter ring, decoder). (transfer none): owned by the mixer until
 * mcu_audio_mixer_remove_site() or mcu_audio_mixer_free(). @site_id is the caller's; it is not checked. */
McuAudioSite *mcu_audio_mixer_add_site (McuAudioMixer *mixer, guint site_id);
void mcu_audio_mixer_remove_site (McuAudioMixer *mixer, McuAudioSite *site);
guint mcu_audio_site_get_id (const McuAudioSite *site);

/* Per packet: no allocation, no logging. @audio_level_dbov: the RFC 6464 level, 0 (loud) .. 127
 * (silence) meaning -level dBov, or -1 when the packet carried none. Returns 0 when buffered, or a
 * negative errno code when the packet is discarded (-EINVAL not an Opus packet, -EMSGSIZE too big,
 * -EALREADY duplicate, -ETIME late); each is counted in the site's stats. A jump in sequence numbers
 * beyond the buffer (a restarted stream) flushes the buffer and starts again from the new packet.
 * When the SSRC changes the caller may simply keep pushing: numbers are re-anchored after 200 ms idle
 * or on such a jump. */
int mcu_audio_site_push (McuAudioSite *site, const guint8 *opus_payload, gsize len, guint16 seq,
                         guint32 rtp_ts, int audio_level_dbov, gint64 arrival_us);

/* Operator mute: the site's audio never enters the mix. Self mute: the site says it muted itself; it is
 * left out of the mix as well and gets no talking events. Both still hear the meeting. */
void mcu_audio_site_set_muted (McuAudioSite *site, gboolean operator_muted, gboolean self_muted);
/* Loss this site reports as a receiver (RTCP RR fraction lost, 0..1); feeds the packet-loss hint of the
 * stream it listens to (the shared mix uses the 90th percentile of its listeners). */
void mcu_audio_site_set_listener_loss (McuAudioSite *site, double loss_fraction);

/* Mixes one 20 ms frame. Call it every 20 ms; after a stall, call it once per missed frame. */
void mcu_audio_mixer_tick (McuAudioMixer *mixer, gint64 now_us);

/* After a tick: how much earlier the next tick could come with every heard talker's audio still held
 * for at least its jitter target (the least delay over target among them), or -1 when nobody is heard.
 * The mixer's owner may move its clock that much earlier: each talker's audio then waits only what its
 * jitter needs, instead of also the phase between its packets and the tick (0-20 ms). */
gint64 mcu_audio_mixer_get_tick_slack_us (const McuAudioMixer *mixer);

void mcu_audio_mixer_get_stats (McuAudioMixer *mixer, McuAudioMixerStats *stats);
void mcu_audio_site_get_stats (const McuAudioSite *site, McuAudioSiteStats *stats);

G_END_DECLS
