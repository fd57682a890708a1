/* SPDX-License-Identifier: MIT */
/* libFuzzer target: McuSrtp (our SRTP/SRTCP) fed arbitrary packets. The first byte picks the profile
 * and the path: unprotect as RTP or RTCP (header, CSRC and extension lengths, trailers, replay
 * windows), protect as RTP or RTCP, and protect-then-unprotect (must give back the same bytes). Any
 * input must be refused or handled without a crash, leak or out-of-bounds access. */
#include <string.h>

#include "transport/srtp.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static McuSrtp *
make (McuSrtpProfile profile, gboolean mirror)
{
  McuSrtpKeys keys = { .profile = profile, .key_len = mcu_srtp_profile_key_len (profile) };

  for (gsize i = 0; i < keys.key_len; i++) {
    keys.local[i] = (guint8) (mirror ? 200 - i : i + 1);
    keys.remote[i] = (guint8) (mirror ? i + 1 : 200 - i);
  }
  return mcu_srtp_new (&keys, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint8 buf[1500 + MCU_SRTP_TRAILER_SPACE], copy[sizeof buf];
  McuSrtpProfile profile;
  McuSrtp *a, *b;
  int n;

  if (size < 1 || size - 1 > 1500)
    return 0;
  profile = data[0] & 1 ? MCU_SRTP_PROFILE_AEAD_AES_128_GCM : MCU_SRTP_PROFILE_AES128_CM_SHA1_80;
  a = make (profile, FALSE);
  b = make (profile, TRUE);
  size--;
  memcpy (buf, data + 1, size);
  memcpy (copy, data + 1, size);
  switch ((data[0] >> 1) % 3) {
  case 0:
    (void) mcu_srtp_unprotect_rtp (b, buf, size);
    memcpy (buf, copy, size);
    (void) mcu_srtp_unprotect_rtcp (b, buf, size);
    break;
  case 1:
    n = mcu_srtp_protect_rtp (a, buf, size, sizeof buf);
    if (n > 0) {
      g_assert_cmpint (mcu_srtp_unprotect_rtp (b, buf, (gsize) n), ==, (int) size);
      g_assert (memcmp (buf, copy, size) == 0);
    }
    break;
  default:
    n = mcu_srtp_protect_rtcp (a, buf, size, sizeof buf);
    if (n > 0) {
      g_assert_cmpint (mcu_srtp_unprotect_rtcp (b, buf, (gsize) n), ==, (int) size);
      g_assert (memcmp (buf, copy, size) == 0);
    }
    break;
  }
  mcu_srtp_free (a);
  mcu_srtp_free (b);
  return 0;
}
