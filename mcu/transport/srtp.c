/* SPDX-License-Identifier: MIT */
/*
 * SRTP/SRTCP with libsrtp2: one outbound session (our key) and one inbound session (the remote key),
 * both for any SSRC, keyed from DTLS-SRTP (see dtls.c). Profiles: AEAD_AES_128_GCM (RFC 7714) and
 * AES_CM_128_HMAC_SHA1_80 (RFC 3711). Inbound replay window 1024 packets (video with NACK reorders a
 * lot); outbound allows the same sequence number twice so NACKs can be answered without RTX.
 * Threads: srtp_init runs once per process (g_once); each McuSrtp is used by one thread.
 * Per-packet functions allocate nothing and log nothing.
 */
#define G_LOG_DOMAIN "mcu-srtp"

#include "srtp.h"

#include <errno.h>
#include <string.h>
#include <srtp2/srtp.h>

#define REPLAY_WINDOW 1024

struct _McuSrtp {
  srtp_t outbound;
  srtp_t inbound;
  McuSrtpProfile profile;
};

G_DEFINE_QUARK (mcu-srtp-error-quark, mcu_srtp_error)

static gpointer
init_library (gpointer data)
{
  return GINT_TO_POINTER (srtp_init ());
}

static srtp_err_status_t
ensure_library (void)
{
  static GOnce once = G_ONCE_INIT; /* the one process-wide init libsrtp requires */

  return (srtp_err_status_t) GPOINTER_TO_INT (g_once (&once, init_library, NULL));
}

const char *
mcu_srtp_profile_name (McuSrtpProfile profile)
{
  switch (profile) {
  case MCU_SRTP_PROFILE_AES128_CM_SHA1_80:
    return "AES_CM_128_HMAC_SHA1_80";
  case MCU_SRTP_PROFILE_AEAD_AES_128_GCM:
    return "AEAD_AES_128_GCM";
  case MCU_SRTP_PROFILE_NONE:
  default:
    return "none";
  }
}

gsize
mcu_srtp_profile_key_len (McuSrtpProfile profile)
{
  switch (profile) {
  case MCU_SRTP_PROFILE_AES128_CM_SHA1_80:
    return SRTP_AES_ICM_128_KEY_LEN_WSALT;
  case MCU_SRTP_PROFILE_AEAD_AES_128_GCM:
    return SRTP_AES_GCM_128_KEY_LEN_WSALT;
  case MCU_SRTP_PROFILE_NONE:
  default:
    return 0;
  }
}

static void
set_policy_crypto (srtp_policy_t *policy, McuSrtpProfile profile)
{
  if (profile == MCU_SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy->rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy->rtcp);
  }
}

static gboolean
create_session (srtp_t *session, McuSrtpProfile profile, const guint8 *key, gboolean inbound,
                GError **error)
{
  srtp_policy_t policy = { 0 };
  guint8 key_copy[MCU_SRTP_MAX_KEY_LEN];
  srtp_err_status_t status;

  memcpy (key_copy, key, sizeof key_copy);
  set_policy_crypto (&policy, profile);
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key_copy;
  policy.window_size = REPLAY_WINDOW;
  policy.allow_repeat_tx = inbound ? 0 : 1;
  policy.next = NULL;
  status = srtp_create (session, &policy);
  memset (key_copy, 0, sizeof key_copy);
  if (status != srtp_err_status_ok) {
    g_set_error (error, MCU_SRTP_ERROR, 0, "srtp_create (%s) failed: libsrtp error %d",
                 inbound ? "inbound" : "outbound", (int) status);
    *session = NULL;
    return FALSE;
  }
  return TRUE;
}

McuSrtp *
mcu_srtp_new (const McuSrtpKeys *keys, GError **error)
{
  srtp_err_status_t status = ensure_library ();
  g_autoptr (McuSrtp) srtp = NULL;

  if (status != srtp_err_status_ok) {
    g_set_error (error, MCU_SRTP_ERROR, 0, "srtp_init failed: libsrtp error %d", (int) status);
    return NULL;
  }
  if (mcu_srtp_profile_key_len (keys->profile) == 0 ||
      keys->key_len != mcu_srtp_profile_key_len (keys->profile)) {
    g_set_error (error, MCU_SRTP_ERROR, 0, "unsupported SRTP profile 0x%04x or key length %zu",
                 (guint) keys->profile, keys->key_len);
    return NULL;
  }
  srtp = g_new0 (McuSrtp, 1);
  srtp->profile = keys->profile;
  if (!create_session (&srtp->outbound, keys->profile, keys->local, FALSE, error) ||
      !create_session (&srtp->inbound, keys->profile, keys->remote, TRUE, error))
    return NULL;
  return g_steal_pointer (&srtp);
}

void
mcu_srtp_free (McuSrtp *srtp)
{
  if (srtp == NULL)
    return;
  if (srtp->outbound != NULL)
    srtp_dealloc (srtp->outbound);
  if (srtp->inbound != NULL)
    srtp_dealloc (srtp->inbound);
  g_free (srtp);
}

static int
map_status (srtp_err_status_t status)
{
  switch (status) {
  case srtp_err_status_ok:
    return 0;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
    return -EALREADY;
  case srtp_err_status_auth_fail:
  case srtp_err_status_cipher_fail:
    return -EBADMSG;
  case srtp_err_status_bad_param:
  case srtp_err_status_parse_err:
    return -EINVAL;
  default:
    return -EIO;
  }
}

/* Smallest packets libsrtp accepts: an RTP header is 12 bytes, an RTCP header 8. */
static int
check_room (const guint8 *buf, gsize len, gsize min, gsize capacity)
{
  if (buf == NULL || len < min || len > G_MAXINT / 2)
    return -EINVAL;
  if (capacity < len + MCU_SRTP_TRAILER_SPACE)
    return -EMSGSIZE;
  return 0;
}

int
mcu_srtp_protect_rtp (McuSrtp *srtp, guint8 *buf, gsize len, gsize capacity)
{
  int n = (int) len;
  int ret = check_room (buf, len, 12, capacity);

  if (ret < 0)
    return ret;
  ret = map_status (srtp_protect (srtp->outbound, buf, &n));
  return ret < 0 ? (ret == -EALREADY ? -EIO : ret) : n;
}

int
mcu_srtp_protect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len, gsize capacity)
{
  int n = (int) len;
  int ret = check_room (buf, len, 8, capacity);

  if (ret < 0)
    return ret;
  ret = map_status (srtp_protect_rtcp (srtp->outbound, buf, &n));
  return ret < 0 ? (ret == -EALREADY ? -EIO : ret) : n;
}

int
mcu_srtp_unprotect_rtp (McuSrtp *srtp, guint8 *buf, gsize len)
{
  int n = (int) len;
  int ret;

  if (buf == NULL || len < 12 || len > G_MAXINT / 2)
    return -EINVAL;
  ret = map_status (srtp_unprotect (srtp->inbound, buf, &n));
  return ret < 0 ? ret : n;
}

int
mcu_srtp_unprotect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len)
{
  int n = (int) len;
  int ret;

  if (buf == NULL || len < 8 || len > G_MAXINT / 2)
    return -EINVAL;
  ret = map_status (srtp_unprotect_rtcp (srtp->inbound, buf, &n));
  return ret < 0 ? ret : n;
}
