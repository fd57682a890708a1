/* SPDX-License-Identifier: MIT */
/*
 * Peak limiter for the mixer's outputs: instant attack, exponential release, soft knee. Without
 * look-ahead the attack must be instant to guarantee the ceiling; the soft knee (a tanh curve between
 * knee and ceiling) keeps that from sounding like hard clipping, and the slow release keeps the gain
 * from pumping within one waveform period. Below the knee, once released, the gain is exactly 1.
 * Threads: whoever owns the limiter (the mixer's media thread). No allocation.
 */
#include "audio-limiter.h"

#include <math.h>

void
mcu_audio_limiter_init (McuAudioLimiter *limiter, double ceiling_dbfs, double knee_db,
                        double release_ms, guint rate)
{
  limiter->gain = 1.0f;
  limiter->ceiling = (float) pow (10.0, ceiling_dbfs / 20.0);
  limiter->knee = (float) pow (10.0, (ceiling_dbfs - knee_db) / 20.0);
  limiter->release = (float) (1.0 - exp (-1000.0 / (release_ms * rate)));
}

/* The gain that maps a peak of @peak (> knee) onto the soft-knee curve, which tends to the ceiling. */
static float
knee_gain (const McuAudioLimiter *limiter, float peak)
{
  float span = limiter->ceiling - limiter->knee;
  float out = limiter->knee + span * tanhf ((peak - limiter->knee) / span);

  return out / peak;
}

void
mcu_audio_limiter_process (McuAudioLimiter *limiter, float *samples, gsize n)
{
  float gain = limiter->gain;

  for (gsize i = 0; i < n; i++) {
    float x = samples[i];
    float peak = fabsf (x);

    if (!isfinite (x)) {
      samples[i] = 0.0f;
      continue;
    }
    gain += (1.0f - gain) * limiter->release;
    if (peak * gain > limiter->knee) {
      float wanted = knee_gain (limiter, peak);
      if (wanted < gain)
        gain = wanted;
    }
    samples[i] = x * gain;
    if (samples[i] > limiter->ceiling)
      samples[i] = limiter->ceiling;
    else if (samples[i] < -limiter->ceiling)
      samples[i] = -limiter->ceiling;
  }
  if (gain > 0.999f) /* float steps stall short of 1; 0.01 dB is inaudible, exact unity is testable */
    gain = 1.0f;
  limiter->gain = gain;
}
