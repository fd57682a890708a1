/* SPDX-License-Identifier: MIT */
/*
 * Media the load generator replays: made once at start, never committed. Opus 48 kHz mono speech-like
 * tracks (one per voice) and a near-silent track, each with the RFC 6464 level of every 20 ms packet;
 * VP8 640x360 sequences of a moving synthetic pattern (one per variant), already split into RTP
 * payloads with the RFC 7741 descriptor. Frame 0 of each sequence is the only keyframe, so replaying
 * from frame 0 answers a keyframe request exactly.
 *
 * Threads: built on the main thread before any site starts; read-only afterwards.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LOADGEN_AUDIO_RATE 48000
#define LOADGEN_AUDIO_FRAME 960          /* 20 ms */
#define LOADGEN_VIDEO_WIDTH 640
#define LOADGEN_VIDEO_HEIGHT 360
#define LOADGEN_VIDEO_FPS 25

typedef struct {
  guint8 data[400];
  guint16 len;
  guint8 level;              /* RFC 6464: 0-127 -dBov */
} LoadgenAudioPacket;

typedef struct {
  LoadgenAudioPacket *packets;
  guint n_packets;
} LoadgenAudioTrack;

typedef struct {
  guint8 *data;
  guint16 len;
  gboolean marker;
} LoadgenVideoPacket;

typedef struct {
  GArray **frames;           /* n_frames arrays of LoadgenVideoPacket */
  guint n_frames;
  guint64 bytes;
} LoadgenVideoSequence;

#define LOADGEN_MARKER_HZ 6000.0
#define LOADGEN_VOICE_QUIET (-1)
#define LOADGEN_VOICE_MARKER (-2)   /* 200 ms of a 6 kHz tone at -12 dBov each 2 s, hiss between */

/* @seconds of audio; @voice picks pitch and the pattern of talk spurts; LOADGEN_VOICE_QUIET =
 * near-silence (low-level hiss); LOADGEN_VOICE_MARKER = the latency marker (packet 0 starts a burst). Returns FALSE with @error when libopus refuses. */
gboolean loadgen_audio_track_init (LoadgenAudioTrack *track, guint seconds, int voice, GError **error);
void loadgen_audio_track_clear (LoadgenAudioTrack *track);

/* @frames frames at 25 fps of pattern @variant, ~@kbps kbit/s. */
gboolean loadgen_video_sequence_init (LoadgenVideoSequence *seq, guint frames, guint variant, guint kbps,
                                      GError **error);
void loadgen_video_sequence_clear (LoadgenVideoSequence *seq);

/* Goertzel power of LOADGEN_MARKER_HZ in @n samples at 48 kHz, normalized (a full-scale tone ~ 0.25). */
double loadgen_marker_power (const float *pcm, guint n);

G_END_DECLS
