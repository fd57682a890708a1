/* SPDX-License-Identifier: MIT */
/*
 * McuMix: the media of a meeting room (mode=mix). Every site's Opus goes into one audio mixer (N
 * loudest, mix-minus, K+1 shared encodes); every site's VP8 into one video mixer (only visible sites
 * decoded, one encoder per output tier). Each site receives the mix (or its mix-minus) and the
 * composite of its tier.
 *
 * Threads: created and freed on the control thread (free only after the room's media thread has
 * stopped); the session handlers (mcu_mix_media) and the audio tick run on the room's media thread;
 * the video mixer's own threads hand their packets and requests to the media thread through bounded
 * rings, so neither audio nor packet handling ever waits on video.
 */
#pragma once

#include "config.h"
#include "conference/ladder.h"
#include "conference/session.h"
#include "media/audio-mixer.h"
#include "media/video-mixer.h"

G_BEGIN_DECLS

typedef struct _McuMix McuMix;

/* A site started or stopped talking (media thread; post to the control thread from here). */
typedef void (*McuMixTalkingFunc) (const char *site_id, gboolean talking, gpointer user_data);

typedef struct {
  McuAudioMixerConfig audio;
  McuVideoMixerConfig video;
  guint start_tier;          /* tier a receiver starts in (0 = the largest) */
  McuLadderConfig ladder;    /* each receiver's degradation ladder (conference/ladder.h) */
  McuMixTalkingFunc on_talking;
  gpointer on_talking_data;
} McuMixConfig;

void mcu_mix_config_init (McuMixConfig *config);
/* Defaults overridden by [audio] and [video] of @source; errors name the file, line and key. */
gboolean mcu_mix_config_load (McuMixConfig *config, McuConfig *source, GError **error);

/* (transfer full). Starts the audio tick on @media_context and the video threads. */
McuMix *mcu_mix_new (const McuMixConfig *config, GMainContext *media_context, GError **error);
void mcu_mix_free (McuMix *mix);

/* Moderation, from the control thread; applied on the media thread in call order. Sites are named
 * by their seat id; a muted site that joins later stays muted. */
void mcu_mix_set_muted (McuMix *mix, const char *site_id, gboolean muted);
void mcu_mix_set_floor (McuMix *mix, const char *site_id);   /* unmuted, holds the main tile; NULL ends */
void mcu_mix_set_pin (McuMix *mix, const char *site_id);     /* NULL unpins */
gboolean mcu_mix_set_layout (McuMix *mix, const char *layout);  /* "auto", "2x2", "1+7", ... */

/* The mixers' figures, refreshed once a second on the media thread; any thread may read them. */
typedef struct {
  McuAudioMixerStats audio;
  McuVideoMixerStats video;
  guint receivers[MCU_VIDEO_MAX_TIERS];   /* sites receiving each tier */
} McuMixStats;
void mcu_mix_get_stats (McuMix *mix, McuMixStats *stats);

/* The session handlers of a mix room; pass the McuMix as their user data. */
const McuSessionMedia *mcu_mix_media (void);

G_END_DECLS
