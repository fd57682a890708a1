/* SPDX-License-Identifier: MIT */
/*
 * Synthetic test media for the benchmarks and the load generator (tools/bench-audio, tools/bench-video,
 * tools/loadgen): made at start, never committed, the same recipe everywhere so the in-process
 * benchmarks and the over-the-wire load give the mixers the same kind of content.
 *
 * Audio: 48 kHz mono speech-like signal (glottal pulses through vowel formants, syllable envelope, talk
 * spurts and pauses; one pitch and pattern per voice), low-level hiss for quiet sites, or a 6 kHz
 * latency marker; encoded once with libopus like a browser would (32 kbit/s, in-band FEC) with the
 * RFC 6464 level of each 20 ms packet.
 * Video: a moving pattern (scrolling gradient, bouncing box, a tint per variant) encoded to VP8 640x360
 * at 25 fps, frame 0 the only keyframe, split into RTP payloads with the RFC 7741 descriptor.
 *
 * Threads: any; nothing is shared (each call works on what it is given).
 */
#pragma once

#include <glib.h>
#include <vpx/vpx_image.h>

G_BEGIN_DECLS

#define MEDIA_GEN_AUDIO_RATE 48000
#define MEDIA_GEN_AUDIO_FRAME 960          /* 20 ms */
#define MEDIA_GEN_VIDEO_WIDTH 640
#define MEDIA_GEN_VIDEO_HEIGHT 360
#define MEDIA_GEN_VIDEO_FPS 25

#define MEDIA_GEN_VOICE_QUIET (-1)         /* room hiss, about -75 dBov */
#define MEDIA_GEN_VOICE_MARKER (-2)        /* 200 ms of a 6 kHz tone at -12 dBov each 2 s, hiss between */
#define MEDIA_GEN_MARKER_HZ 6000.0

typedef struct {
  guint8 data[400];
  guint16 len;
  guint8 level;              /* RFC 6464: 0-127 -dBov */
} MediaGenAudioPacket;

typedef struct {
  MediaGenAudioPacket *packets;
  guint n_packets;
} MediaGenAudioTrack;

typedef struct {
  guint8 *data;
  guint16 len;
  gboolean marker;
} MediaGenVideoPacket;

typedef struct {
  GArray **frames;           /* n_frames arrays of MediaGenVideoPacket */
  guint n_frames;
  guint64 bytes;
} MediaGenVideoSequence;

/* @n samples at 48 kHz of @voice (>= 0: speech at about -20 dBov over the whole, pauses included; the
 * value picks pitch and pattern), MEDIA_GEN_VOICE_QUIET or MEDIA_GEN_VOICE_MARKER (sample 0 starts a
 * burst). Deterministic for a given @voice. */
void media_gen_synthesize (float *out, guint n, int voice);

/* RFC 6464 level (0-127, -dBov) of @n samples. */
guint8 media_gen_rfc6464_level (const float *pcm, guint n);

/* Goertzel power of MEDIA_GEN_MARKER_HZ in @n samples at 48 kHz, normalized (a full-scale tone ~ 0.25). */
double media_gen_marker_power (const float *pcm, guint n);

/* @seconds of @voice (see media_gen_synthesize) as Opus packets of 20 ms with their levels. Returns FALSE
 * with @error when libopus refuses. Free with media_gen_audio_track_clear. */
gboolean media_gen_audio_track_init (MediaGenAudioTrack *track, guint seconds, int voice, GError **error);
void media_gen_audio_track_clear (MediaGenAudioTrack *track);

/* Draws frame @n of pattern @variant into @img (I420, its d_w x d_h: the 640x360 scene at that size). */
void media_gen_draw_pattern (vpx_image_t *img, guint variant, guint n);

/* @frames frames at 25 fps of pattern @variant, ~@kbps kbit/s, each split into RTP payloads of at most
 * @max_payload bytes (picture id = frame number). Free with media_gen_video_sequence_clear. */
gboolean media_gen_video_sequence_init (MediaGenVideoSequence *seq, guint frames, guint variant, guint kbps,
                                        gsize max_payload, GError **error);
/* The same at @width x @height (at most 640x360: the scene scaled down), as a sender sends for a small
 * tile. */
gboolean media_gen_video_sequence_init_sized (MediaGenVideoSequence *seq, guint frames, guint variant,
                                              guint width, guint height, guint kbps, gsize max_payload,
                                              GError **error);
void media_gen_video_sequence_clear (MediaGenVideoSequence *seq);

G_END_DECLS
