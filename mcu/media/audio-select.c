/* SPDX-License-Identifier: MIT */
/*
 * Who is heard: the N loudest sites above a noise floor, with hangover so pauses between words do not
 * chop speech, and stable ties so two equally loud sites do not flap. A site's score is its level with
 * instant attack and slow release; a site still in hangover competes with its decaying score, so a
 * louder new talker displaces it, a pause alone does not. Sitting talkers get a small bonus
 * (incumbent_bonus_db): a challenger must be clearly louder, not just equal. Remaining ties go to the
 * site selected longest, then to the one that joined first.
 * A site is active when its level is above the room's noise floor and either loud outright or clearly
 * above its own background (a per-site minimum tracker: follows drops at once, rises 1.25 dB/s), so
 * a fan or a hissing microphone just above the floor does not take a talker's place.
 * Talking events use their own hysteresis (talk_start / talk_stop ticks), independent of the mix.
 * Threads: the mixer's media thread. No allocation: sorting uses the caller's scratch array.
 */
#include "audio-select.h"

#include <stdlib.h>

#define RELEASE_DB_PER_TICK 0.5
#define NOISE_RISE_DB_PER_TICK 0.025

void
mcu_audio_talker_init (McuAudioTalker *talker, guint64 order)
{
  *talker = (McuAudioTalker) { .score = MCU_AUDIO_SILENCE_DBOV, .noise = 0.0, .order = order };
}

static int
update_talking (McuAudioTalker *talker, const McuAudioSelectConfig *config, gboolean active)
{
  if (active) {
    talker->talk_run++;
    talker->quiet_run = 0;
  } else {
    talker->quiet_run++;
    talker->talk_run = 0;
  }
  if (!talker->talking && talker->talk_run >= config->talk_start_ticks) {
    talker->talking = TRUE;
    return 1;
  }
  if (talker->talking && talker->quiet_run >= config->talk_stop_ticks) {
    talker->talking = FALSE;
    return -1;
  }
  return 0;
}

static gboolean
is_active (McuAudioTalker *talker, const McuAudioSelectConfig *config, double level_dbov)
{
  if (level_dbov < talker->noise)
    talker->noise = level_dbov;
  else
    talker->noise = MIN (level_dbov, talker->noise + NOISE_RISE_DB_PER_TICK);
  if (level_dbov < config->noise_floor_dbov)
    return FALSE;
  return level_dbov >= config->loud_dbov || level_dbov >= talker->noise + config->snr_db;
}

int
mcu_audio_talker_update (McuAudioTalker *talker, const McuAudioSelectConfig *config,
                         double level_dbov, gboolean eligible)
{
  gboolean active = eligible && is_active (talker, config, level_dbov);

  if (!eligible) {
    talker->score = MCU_AUDIO_SILENCE_DBOV;
    talker->hang = 0;
    talker->talk_run = 0;
    talker->quiet_run = config->talk_stop_ticks;
    if (talker->talking) {
      talker->talking = FALSE;
      return -1;
    }
    return 0;
  }
  if (level_dbov >= talker->score)
    talker->score = level_dbov;
  else
    talker->score = MAX (level_dbov, talker->score - RELEASE_DB_PER_TICK);
  if (active)
    talker->hang = config->hangover_ticks;
  else if (talker->hang > 0)
    talker->hang--;
  return update_talking (talker, config, active);
}

static double
rank_key (const McuAudioTalker *talker, const McuAudioSelectConfig *config)
{
  return talker->score + (talker->selected ? config->incumbent_bonus_db : 0.0);
}

static int
compare_ranks (const void *pa, const void *pb)
{
  const McuAudioRank *ra = pa;
  const McuAudioRank *rb = pb;
  const McuAudioTalker *a = ra->talker;
  const McuAudioTalker *b = rb->talker;

  if (ra->key != rb->key)
    return ra->key > rb->key ? -1 : 1;
  if (a->selected != b->selected)
    return a->selected ? -1 : 1;
  if (a->selected && a->selected_at != b->selected_at)
    return a->selected_at < b->selected_at ? -1 : 1;
  return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

guint
mcu_audio_select (McuAudioTalker **talkers, guint n, McuAudioRank *scratch,
                  const McuAudioSelectConfig *config, guint64 tick)
{
  guint candidates = 0;
  guint chosen;

  for (guint i = 0; i < n; i++) {
    if (talkers[i]->hang > 0)
      scratch[candidates++] = (McuAudioRank) { talkers[i], rank_key (talkers[i], config) };
    else
      talkers[i]->selected = FALSE;
  }
  if (candidates > 1)   /* scratch is NULL in a room without sites */
    qsort (scratch, candidates, sizeof *scratch, compare_ranks);
  chosen = MIN (candidates, config->max_talkers);
  for (guint i = chosen; i < candidates; i++)
    scratch[i].talker->selected = FALSE;
  for (guint i = 0; i < chosen; i++) {
    if (!scratch[i].talker->selected)
      scratch[i].talker->selected_at = tick;
    scratch[i].talker->selected = TRUE;
  }
  return chosen;
}
