/* SPDX-License-Identifier: MIT */
/*
 * McuSrtp: one SRTP/SRTCP context pair (outbound + inbound) keyed from a DTLS-SRTP handshake.
 * Threads: not thread-safe; the owner (a McuPeer) uses it from its media thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values are the DTLS-SRTP protection profile ids (RFC 5764, RFC 7714). */
typedef enum {
  MCU_SRTP_PROFILE_NONE = 0,
  MCU_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
  MCU_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
} McuSrtpProfile;

/* Largest master key + salt of any supported profile (AES-128: 16 + 14). */
#define MCU_SRTP_MAX_KEY_LEN 32
/* Room protect_* needs after the payload: tag + MKI (libsrtp's worst case) + SRTCP index. */
#define MCU_SRTP_TRAILER_SPACE (16 + 128 + 4)

typedef struct {
  McuSrtpProfile profile;
  gsize key_len;                       /* master key + salt length in each of the two arrays */
  guint8 local[MCU_SRTP_MAX_KEY_LEN];  /* protects what we send: master key then master salt */
  guint8 remote[MCU_SRTP_MAX_KEY_LEN]; /* unprotects what we receive */
} McuSrtpKeys;

typedef struct _McuSrtp McuSrtp;

#define MCU_SRTP_ERROR (mcu_srtp_error_quark ())
GQuark mcu_srtp_error_quark (void);

/* Any thread. "AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80" or "none" (static string). */
const char *mcu_srtp_profile_name (McuSrtpProfile profile);
/* Any thread. Key + salt length of @profile, 0 when unsupported. */
gsize mcu_srtp_profile_key_len (McuSrtpProfile profile);

/* Any thread; initialises libsrtp once per process. Replay protection is on for inbound;
 * outbound allows repeated sequence numbers (plain NACK retransmissions). (transfer full) */
McuSrtp *mcu_srtp_new (const McuSrtpKeys *keys, GError **error);
void mcu_srtp_free (McuSrtp *srtp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSrtp, mcu_srtp_free)

/* Per-packet path, owner's thread. Protect in place: @buf holds @len bytes of plaintext and has
 * @capacity bytes of room (>= len + MCU_SRTP_TRAILER_SPACE). Returns the protected length, or
 * -EINVAL (not RTP/RTCP), -EMSGSIZE (no room), -EIO (libsrtp refused). */
int mcu_srtp_protect_rtp (McuSrtp *srtp, guint8 *buf, gsize len, gsize capacity);
int mcu_srtp_protect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len, gsize capacity);
/* Per-packet path. Unprotect in place. Returns the plaintext length, or -EINVAL (malformed),
 * -EALREADY (replayed or too old), -EBADMSG (authentication failed), -EIO (other). */
int mcu_srtp_unprotect_rtp (McuSrtp *srtp, guint8 *buf, gsize len);
int mcu_srtp_unprotect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len);

G_END_DECLS
