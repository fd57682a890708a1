/* SPDX-License-Identifier: MIT */
/*
 * SRTP/SRTCP (RFC 3711, RFC 7714) on OpenSSL: one outbound context (our key) and one inbound
 * context (the remote key), each for any SSRC, keyed from DTLS-SRTP (see dtls.c). Profiles:
 * AEAD_AES_128_GCM and AES_CM_128_HMAC_SHA1_80.
 *
 * Why not libsrtp2: Debian's libsrtp2 is built on NSS, which creates a PKCS#11 context for every
 * packet; at 100 sites that was ~28 % of the room thread (perf, tools/bench S = 100). Here the
 * cipher contexts are keyed once and only re-IV'd per packet, and HMAC-SHA1 starts from the
 * precomputed inner and outer states (the low-level SHA1 calls, which use the CPU's SHA
 * instructions and, unlike EVP_MAC re-init, allocate nothing). libsrtp2 stays the reference the
 * unit tests check every profile against, both ways (tests/unit/test-srtp.c).
 *
 * Session keys come from the master key and salt with the AES-CM PRF (RFC 3711 4.3, kdr 0). Each
 * direction keeps up to MAX_STREAMS SSRCs (least recently used replaced): the highest RTP index
 * (48 bits, rollover counter estimated per RFC 3711 3.3.1), a replay window of REPLAY_WINDOW RTP
 * and RTCP_WINDOW SRTCP indexes for inbound, and the next SRTCP index for outbound. An inbound
 * SSRC is only remembered once a packet from it authenticated. Outbound allows the same sequence
 * number twice, so NACKs can be answered without RTX.
 *
 * Threads: each McuSrtp is used by one thread. Per-packet functions allocate nothing, log nothing.
 */
#define G_LOG_DOMAIN "mcu-srtp"
/* SHA1_Init and friends are deprecated in OpenSSL 3 but remain its fastest allocation-free HMAC. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "srtp.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#define MASTER_KEY_LEN 16
#define CM_SALT_LEN 14
#define GCM_SALT_LEN 12
#define HMAC_KEY_LEN 20
#define CM_TAG_LEN 10
#define GCM_TAG_LEN 16
#define SRTCP_INDEX_LEN 4
#define SRTCP_E_BIT 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffff
#define MAX_STREAMS 24
#define REPLAY_WINDOW 1024 /* video with NACK reorders a lot */
#define RTCP_WINDOW 128

enum { LABEL_RTP_KEY, LABEL_RTP_AUTH, LABEL_RTP_SALT, LABEL_RTCP_KEY, LABEL_RTCP_AUTH, LABEL_RTCP_SALT };

typedef struct {
  gboolean seen;
  gint64 high; /* highest index accepted; bit i of bits = index high - i was accepted */
  guint64 bits[REPLAY_WINDOW / 64];
} Window;

typedef struct {
  guint32 ssrc;
  gboolean used;
  guint64 last_use;
  Window rtp;
  Window rtcp;        /* inbound: replay window (first RTCP_WINDOW bits) */
  guint32 rtcp_index; /* outbound: last SRTCP index sent */
} Stream;

typedef struct {
  SHA_CTX inner, outer; /* the key's ipad and opad blocks already hashed */
} Hmac;

typedef struct {
  EVP_CIPHER_CTX *cipher; /* AES-128-CTR or AES-128-GCM, keyed with the session key */
  guint8 salt[CM_SALT_LEN];
  Hmac hmac; /* AES-CM only */
} Keys;

typedef struct {
  Keys rtp, rtcp;
  Stream streams[MAX_STREAMS];
  guint64 clock; /* for least recently used */
} Direction;

struct _McuSrtp {
  McuSrtpProfile profile;
  gboolean gcm;
  gsize tag_len;
  Direction out, in;
};

G_DEFINE_QUARK (mcu-srtp-error-quark, mcu_srtp_error)

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
    return MASTER_KEY_LEN + CM_SALT_LEN;
  case MCU_SRTP_PROFILE_AEAD_AES_128_GCM:
    return MASTER_KEY_LEN + GCM_SALT_LEN;
  case MCU_SRTP_PROFILE_NONE:
  default:
    return 0;
  }
}

/* ---- keys ---- */

/* The AES-CM PRF of RFC 3711 4.3.3 with key derivation rate 0: @len bytes for @label. The master
 * salt is zero-padded to 14 bytes (GCM's is 12, RFC 7714 11). */
static gboolean
derive (const guint8 *master_key, const guint8 *master_salt, gsize salt_len, guint8 label,
        guint8 *out, gsize len)
{
  guint8 iv[16] = { 0 }, zeros[32] = { 0 };
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0;
  gboolean ok;

  memcpy (iv, master_salt, salt_len);
  iv[7] ^= label;
  ok = ctx != NULL && len <= sizeof zeros &&
       EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, master_key, iv) == 1 &&
       EVP_EncryptUpdate (ctx, out, &n, zeros, (int) len) == 1 && n == (int) len;
  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

static void
hmac_init (Hmac *hmac, const guint8 *key)
{
  guint8 pad[SHA_CBLOCK];

  memset (pad, 0x36, sizeof pad);
  for (int i = 0; i < HMAC_KEY_LEN; i++)
    pad[i] ^= key[i];
  SHA1_Init (&hmac->inner);
  SHA1_Update (&hmac->inner, pad, sizeof pad);
  memset (pad, 0x5c, sizeof pad);
  for (int i = 0; i < HMAC_KEY_LEN; i++)
    pad[i] ^= key[i];
  SHA1_Init (&hmac->outer);
  SHA1_Update (&hmac->outer, pad, sizeof pad);
  OPENSSL_cleanse (pad, sizeof pad);
}

/* HMAC-SHA1 over @data then @tail (the ROC or nothing), first CM_TAG_LEN bytes into @tag. */
static void
hmac_tag (const Hmac *hmac, const guint8 *data, gsize len, const guint8 *tail, gsize tail_len,
          guint8 *tag)
{
  SHA_CTX ctx = hmac->inner;
  guint8 digest[SHA_DIGEST_LENGTH];

  SHA1_Update (&ctx, data, len);
  if (tail_len > 0)
    SHA1_Update (&ctx, tail, tail_len);
  SHA1_Final (digest, &ctx);
  ctx = hmac->outer;
  SHA1_Update (&ctx, digest, sizeof digest);
  SHA1_Final (digest, &ctx);
  memcpy (tag, digest, CM_TAG_LEN);
}

static gboolean
keys_init (Keys *keys, gboolean gcm, gboolean encrypt, const guint8 *master, gboolean rtcp)
{
  const guint8 *salt = master + MASTER_KEY_LEN;
  gsize salt_len = gcm ? GCM_SALT_LEN : CM_SALT_LEN;
  guint8 session_key[MASTER_KEY_LEN], auth_key[HMAC_KEY_LEN];
  guint8 base = rtcp ? LABEL_RTCP_KEY : LABEL_RTP_KEY;
  gboolean ok;

  ok = derive (master, salt, salt_len, base, session_key, sizeof session_key) &&
       derive (master, salt, salt_len, base + 2, keys->salt, salt_len) &&
       (gcm || derive (master, salt, salt_len, base + 1, auth_key, sizeof auth_key));
  keys->cipher = EVP_CIPHER_CTX_new ();
  ok = ok && keys->cipher != NULL &&
       EVP_CipherInit_ex (keys->cipher, gcm ? EVP_aes_128_gcm () : EVP_aes_128_ctr (), NULL,
                          session_key, NULL, encrypt) == 1;
  if (ok && !gcm)
    hmac_init (&keys->hmac, auth_key);
  OPENSSL_cleanse (session_key, sizeof session_key);
  OPENSSL_cleanse (auth_key, sizeof auth_key);
  return ok;
}

static void
keys_clear (Keys *keys)
{
  g_clear_pointer (&keys->cipher, EVP_CIPHER_CTX_free);
  OPENSSL_cleanse (keys, sizeof *keys);
}

static gboolean
direction_init (Direction *dir, gboolean gcm, gboolean encrypt, const guint8 *master)
{
  return keys_init (&dir->rtp, gcm, encrypt, master, FALSE) &&
         keys_init (&dir->rtcp, gcm, encrypt, master, TRUE);
}

McuSrtp *
mcu_srtp_new (const McuSrtpKeys *keys, GError **error)
{
  g_autoptr (McuSrtp) srtp = NULL;

  if (mcu_srtp_profile_key_len (keys->profile) == 0 ||
      keys->key_len != mcu_srtp_profile_key_len (keys->profile)) {
    g_set_error (error, MCU_SRTP_ERROR, 0, "unsupported SRTP profile 0x%04x or key length %zu",
                 (guint) keys->profile, keys->key_len);
    return NULL;
  }
  srtp = g_new0 (McuSrtp, 1);
  srtp->profile = keys->profile;
  srtp->gcm = keys->profile == MCU_SRTP_PROFILE_AEAD_AES_128_GCM;
  srtp->tag_len = srtp->gcm ? GCM_TAG_LEN : CM_TAG_LEN;
  if (!direction_init (&srtp->out, srtp->gcm, TRUE, keys->local) ||
      !direction_init (&srtp->in, srtp->gcm, FALSE, keys->remote)) {
    g_set_error (error, MCU_SRTP_ERROR, 0, "deriving the %s session keys failed (OpenSSL)",
                 mcu_srtp_profile_name (keys->profile));
    return NULL;
  }
  return g_steal_pointer (&srtp);
}

void
mcu_srtp_free (McuSrtp *srtp)
{
  if (srtp == NULL)
    return;
  keys_clear (&srtp->out.rtp);
  keys_clear (&srtp->out.rtcp);
  keys_clear (&srtp->in.rtp);
  keys_clear (&srtp->in.rtcp);
  g_free (srtp);
}

/* ---- streams, indexes and replay windows ---- */

static Stream *
find_stream (Direction *dir, guint32 ssrc)
{
  for (int i = 0; i < MAX_STREAMS; i++)
    if (dir->streams[i].used && dir->streams[i].ssrc == ssrc)
      return &dir->streams[i];
  return NULL;
}

/* A free slot, else the least recently used one; cleared and given @ssrc. */
static Stream *
add_stream (Direction *dir, guint32 ssrc)
{
  Stream *pick = &dir->streams[0];

  for (int i = 0; i < MAX_STREAMS && pick->used; i++)
    if (!dir->streams[i].used || dir->streams[i].last_use < pick->last_use)
      pick = &dir->streams[i];
  memset (pick, 0, sizeof *pick);
  pick->ssrc = ssrc;
  pick->used = TRUE;
  return pick;
}

/* RFC 3711 3.3.1: the 48-bit index of @seq, guessing the rollover counter from the highest index.
 * -1 when the guess would be before the first rollover (an old packet from before the start). */
static gint64
rtp_index (const Window *w, guint16 seq)
{
  gint64 roc, s_l;

  if (!w->seen)
    return seq;
  roc = w->high >> 16;
  s_l = w->high & 0xffff;
  if (s_l < 32768)
    roc -= seq - s_l > 32768 ? 1 : 0;
  else
    roc += s_l - 32768 > seq ? 1 : 0;
  return roc < 0 ? -1 : (roc << 16) | seq;
}

/* 0 when @index is new within a window of @size, -EALREADY when seen or too old. */
static int
window_check (const Window *w, gint64 index, gint64 size)
{
  gint64 delta;

  if (index < 0)
    return -EALREADY;
  if (!w->seen || index > w->high)
    return 0;
  delta = w->high - index;
  if (delta >= size)
    return -EALREADY;
  return (w->bits[delta / 64] >> (delta % 64)) & 1 ? -EALREADY : 0;
}

/* Move the window's top up by @shift (bit i becomes bit i + shift). */
static void
window_shift (Window *w, gint64 shift)
{
  const int words = G_N_ELEMENTS (w->bits);
  int whole = (int) MIN (shift / 64, words);
  int part = (int) (shift % 64);

  if (whole > 0) {
    memmove (w->bits + whole, w->bits, (words - whole) * sizeof w->bits[0]);
    memset (w->bits, 0, whole * sizeof w->bits[0]);
  }
  if (part > 0 && whole < words) {
    for (int i = words - 1; i > 0; i--)
      w->bits[i] = (w->bits[i] << part) | (w->bits[i - 1] >> (64 - part));
    w->bits[0] <<= part;
  }
}

static void
window_add (Window *w, gint64 index)
{
  gint64 delta;

  if (!w->seen) {
    memset (w->bits, 0, sizeof w->bits);
    w->seen = TRUE;
    w->high = index;
  } else if (index > w->high) {
    window_shift (w, index - w->high);
    w->high = index;
  }
  delta = w->high - index;
  if (delta < REPLAY_WINDOW)
    w->bits[delta / 64] |= G_GUINT64_CONSTANT (1) << (delta % 64);
}

/* ---- packet layout ---- */

static guint32
read32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
write32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

/* Length of the RTP header with CSRCs and extension, or -EINVAL when it does not fit in @len. */
static int
rtp_header_len (const guint8 *buf, gsize len)
{
  gsize hlen;

  if (len < 12 || (buf[0] >> 6) != 2)
    return -EINVAL;
  hlen = 12 + 4 * (gsize) (buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (hlen + 4 > len)
      return -EINVAL;
    hlen += 4 + 4 * (gsize) (buf[hlen + 2] << 8 | buf[hlen + 3]);
  }
  return hlen <= len ? (int) hlen : -EINVAL;
}

/* The AES-CM IV (RFC 3711 4.1.1): salt ^ SSRC << 64 ^ index << 16. */
static void
cm_iv (guint8 iv[16], const guint8 *salt, guint32 ssrc, gint64 index)
{
  memcpy (iv, salt, CM_SALT_LEN);
  iv[14] = iv[15] = 0;
  for (int i = 0; i < 4; i++)
    iv[4 + i] ^= (guint8) (ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; i++)
    iv[8 + i] ^= (guint8) (index >> (40 - 8 * i));
}

/* The GCM IV (RFC 7714 8.1 and 9.1): salt ^ (00 00 | SSRC | @high32 | @low16). For SRTCP the
 * last six bytes are 00 00 and the 31-bit index. */
static void
gcm_iv (guint8 iv[12], const guint8 *salt, guint32 ssrc, guint64 low48)
{
  memcpy (iv, salt, GCM_SALT_LEN);
  for (int i = 0; i < 4; i++)
    iv[2 + i] ^= (guint8) (ssrc >> (24 - 8 * i));
  for (int i = 0; i < 6; i++)
    iv[6 + i] ^= (guint8) (low48 >> (40 - 8 * i));
}

/* AES-CTR over @data in place. */
static gboolean
ctr_crypt (EVP_CIPHER_CTX *ctx, const guint8 iv[16], guint8 *data, gsize len)
{
  int n = 0;

  return EVP_CipherInit_ex (ctx, NULL, NULL, NULL, iv, -1) == 1 &&
         (len == 0 || EVP_CipherUpdate (ctx, data, &n, data, (int) len) == 1);
}

/* AES-GCM in place: @aad (and @aad2) authenticated, @data encrypted or decrypted, @tag written
 * (encrypting) or checked (decrypting; FALSE when it does not match). */
static gboolean
gcm_crypt (EVP_CIPHER_CTX *ctx, gboolean encrypt, const guint8 iv[12], const guint8 *aad,
           gsize aad_len, const guint8 *aad2, gsize aad2_len, guint8 *data, gsize len, guint8 *tag)
{
  int n = 0;

  if (EVP_CipherInit_ex (ctx, NULL, NULL, NULL, iv, -1) != 1 ||
      EVP_CipherUpdate (ctx, NULL, &n, aad, (int) aad_len) != 1 ||
      (aad2_len > 0 && EVP_CipherUpdate (ctx, NULL, &n, aad2, (int) aad2_len) != 1) ||
      (len > 0 && EVP_CipherUpdate (ctx, data, &n, data, (int) len) != 1))
    return FALSE;
  if (encrypt)
    return EVP_CipherFinal_ex (ctx, data + len, &n) == 1 &&
           EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1;
  return EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) == 1 &&
         EVP_CipherFinal_ex (ctx, data + len, &n) == 1;
}

/* ---- RTP ---- */

/* Encrypt and tag the packet with @index in place; returns the new length. */
static int
seal_rtp (McuSrtp *srtp, guint8 *buf, gsize len, gsize hlen, guint32 ssrc, gint64 index)
{
  Keys *keys = &srtp->out.rtp;
  guint8 iv[16], roc[4];

  if (srtp->gcm) {
    gcm_iv (iv, keys->salt, ssrc, (guint64) index);
    if (!gcm_crypt (keys->cipher, TRUE, iv, buf, hlen, NULL, 0, buf + hlen, len - hlen, buf + len))
      return -EIO;
    return (int) (len + GCM_TAG_LEN);
  }
  cm_iv (iv, keys->salt, ssrc, index);
  if (!ctr_crypt (keys->cipher, iv, buf + hlen, len - hlen))
    return -EIO;
  write32 (roc, (guint32) (index >> 16));
  hmac_tag (&keys->hmac, buf, len, roc, sizeof roc, buf + len);
  return (int) (len + CM_TAG_LEN);
}

/* Check the tag and decrypt in place; returns the plaintext length or -EBADMSG. */
static int
open_rtp (McuSrtp *srtp, guint8 *buf, gsize len, gsize hlen, guint32 ssrc, gint64 index)
{
  Keys *keys = &srtp->in.rtp;
  gsize body = len - srtp->tag_len;
  guint8 iv[16], roc[4], tag[CM_TAG_LEN];

  if (srtp->gcm) {
    gcm_iv (iv, keys->salt, ssrc, (guint64) index);
    if (!gcm_crypt (keys->cipher, FALSE, iv, buf, hlen, NULL, 0, buf + hlen, body - hlen, buf + body))
      return -EBADMSG;
    return (int) body;
  }
  write32 (roc, (guint32) (index >> 16));
  hmac_tag (&keys->hmac, buf, body, roc, sizeof roc, tag);
  if (CRYPTO_memcmp (tag, buf + body, CM_TAG_LEN) != 0)
    return -EBADMSG;
  cm_iv (iv, keys->salt, ssrc, index);
  return ctr_crypt (keys->cipher, iv, buf + hlen, body - hlen) ? (int) body : -EIO;
}

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
  int hlen = check_room (buf, len, 12, capacity);
  guint32 ssrc;
  Stream *stream;
  gint64 index;

  if (hlen < 0 || (hlen = rtp_header_len (buf, len)) < 0)
    return hlen;
  ssrc = read32 (buf + 8);
  stream = find_stream (&srtp->out, ssrc);
  if (stream == NULL)
    stream = add_stream (&srtp->out, ssrc);
  stream->last_use = ++srtp->out.clock;
  index = MAX (rtp_index (&stream->rtp, (guint16) (buf[2] << 8 | buf[3])), 0);
  if (!stream->rtp.seen || index > stream->rtp.high) {
    stream->rtp.seen = TRUE;
    stream->rtp.high = index;
  }
  return seal_rtp (srtp, buf, len, (gsize) hlen, ssrc, index);
}

int
mcu_srtp_unprotect_rtp (McuSrtp *srtp, guint8 *buf, gsize len)
{
  int hlen, ret;
  guint32 ssrc;
  Stream *stream;
  Window fresh = { 0 };
  gint64 index;

  if (buf == NULL || len > G_MAXINT / 2 || len < 12 + srtp->tag_len)
    return -EINVAL;
  if ((hlen = rtp_header_len (buf, len - srtp->tag_len)) < 0)
    return hlen;
  ssrc = read32 (buf + 8);
  stream = find_stream (&srtp->in, ssrc);
  index = rtp_index (stream ? &stream->rtp : &fresh, (guint16) (buf[2] << 8 | buf[3]));
  if (stream != NULL && (ret = window_check (&stream->rtp, index, REPLAY_WINDOW)) < 0)
    return ret;
  if ((ret = open_rtp (srtp, buf, len, (gsize) hlen, ssrc, index)) < 0)
    return ret;
  if (stream == NULL)
    stream = add_stream (&srtp->in, ssrc);
  stream->last_use = ++srtp->in.clock;
  window_add (&stream->rtp, index);
  return ret;
}

/* ---- RTCP ---- */

int
mcu_srtp_protect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len, gsize capacity)
{
  Keys *keys = &srtp->out.rtcp;
  int ret = check_room (buf, len, 8, capacity);
  guint8 iv[16];
  guint32 ssrc, word;
  Stream *stream;

  if (ret < 0)
    return ret;
  if ((buf[0] >> 6) != 2)
    return -EINVAL;
  ssrc = read32 (buf + 4);
  stream = find_stream (&srtp->out, ssrc);
  if (stream == NULL)
    stream = add_stream (&srtp->out, ssrc);
  stream->last_use = ++srtp->out.clock;
  stream->rtcp_index = (stream->rtcp_index + 1) & SRTCP_INDEX_MAX;
  word = SRTCP_E_BIT | stream->rtcp_index;
  if (srtp->gcm) {
    guint8 trailer[SRTCP_INDEX_LEN];

    write32 (trailer, word);
    gcm_iv (iv, keys->salt, ssrc, stream->rtcp_index);
    if (!gcm_crypt (keys->cipher, TRUE, iv, buf, 8, trailer, sizeof trailer, buf + 8, len - 8, buf + len))
      return -EIO;
    memcpy (buf + len + GCM_TAG_LEN, trailer, sizeof trailer);
    return (int) (len + GCM_TAG_LEN + SRTCP_INDEX_LEN);
  }
  cm_iv (iv, keys->salt, ssrc, stream->rtcp_index);
  if (!ctr_crypt (keys->cipher, iv, buf + 8, len - 8))
    return -EIO;
  write32 (buf + len, word);
  hmac_tag (&keys->hmac, buf, len + SRTCP_INDEX_LEN, NULL, 0, buf + len + SRTCP_INDEX_LEN);
  return (int) (len + SRTCP_INDEX_LEN + CM_TAG_LEN);
}

/* Check and decrypt an SRTCP packet whose trailer (E bit and index) is @word; @body is the length
 * of the header and (encrypted) payload. */
static int
open_rtcp (McuSrtp *srtp, guint8 *buf, gsize len, gsize body, guint32 word)
{
  Keys *keys = &srtp->in.rtcp;
  guint32 ssrc = read32 (buf + 4), index = word & SRTCP_INDEX_MAX;
  gboolean encrypted = (word & SRTCP_E_BIT) != 0;
  guint8 iv[16], tag[CM_TAG_LEN];

  if (srtp->gcm) {
    guint8 trailer[SRTCP_INDEX_LEN];
    gsize aad = encrypted ? 8 : body;

    write32 (trailer, word);
    gcm_iv (iv, keys->salt, ssrc, index);
    return gcm_crypt (keys->cipher, FALSE, iv, buf, aad, trailer, sizeof trailer, buf + aad,
                      body - aad, buf + body) ? 0 : -EBADMSG;
  }
  hmac_tag (&keys->hmac, buf, body + SRTCP_INDEX_LEN, NULL, 0, tag);
  if (CRYPTO_memcmp (tag, buf + len - CM_TAG_LEN, CM_TAG_LEN) != 0)
    return -EBADMSG;
  cm_iv (iv, keys->salt, ssrc, index);
  return !encrypted || ctr_crypt (keys->cipher, iv, buf + 8, body - 8) ? 0 : -EIO;
}

int
mcu_srtp_unprotect_rtcp (McuSrtp *srtp, guint8 *buf, gsize len)
{
  gsize trailer = srtp->tag_len + SRTCP_INDEX_LEN, body, word_at;
  guint32 word;
  Stream *stream;
  int ret;

  if (buf == NULL || len > G_MAXINT / 2 || len < 8 + trailer || (buf[0] >> 6) != 2)
    return -EINVAL;
  body = len - trailer;
  /* GCM: header | payload | tag | E+index. AES-CM: header | payload | E+index | tag. */
  word_at = srtp->gcm ? len - SRTCP_INDEX_LEN : body;
  word = read32 (buf + word_at);
  stream = find_stream (&srtp->in, read32 (buf + 4));
  if (stream != NULL && (ret = window_check (&stream->rtcp, word & SRTCP_INDEX_MAX, RTCP_WINDOW)) < 0)
    return ret;
  if ((ret = open_rtcp (srtp, buf, len, body, word)) < 0)
    return ret;
  if (stream == NULL)
    stream = add_stream (&srtp->in, read32 (buf + 4));
  stream->last_use = ++srtp->in.clock;
  window_add (&stream->rtcp, word & SRTCP_INDEX_MAX);
  return (int) body;
}
