/* SPDX-License-Identifier: MIT */
/* Unit tests for McuSrtp (OpenSSL, real crypto): protect/unprotect round trips for RTP and RTCP with
 * both DTLS-SRTP profiles, replay and tamper rejection, malformed input, buffer room; and interop with
 * libsrtp2 both ways (the reference implementation): every profile, CSRCs and header extensions, a
 * sequence number rollover, SRTCP. */
#include "transport/srtp.h"

#include <errno.h>
#include <srtp2/srtp.h>
#include <string.h>

typedef struct {
  McuSrtp *a; /* a sends with key 1, receives with key 2 */
  McuSrtp *b; /* the mirror image */
} Pair;

static void
make_pair (Pair *pair, McuSrtpProfile profile)
{
  McuSrtpKeys ka = { .profile = profile, .key_len = mcu_srtp_profile_key_len (profile) };
  McuSrtpKeys kb = ka;
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < ka.key_len; i++) {
    ka.local[i] = kb.remote[i] = (guint8) g_random_int ();
    ka.remote[i] = kb.local[i] = (guint8) g_random_int ();
  }
  pair->a = mcu_srtp_new (&ka, &error);
  g_assert_no_error (error);
  pair->b = mcu_srtp_new (&kb, &error);
  g_assert_no_error (error);
}

static void
clear_pair (Pair *pair)
{
  g_clear_pointer (&pair->a, mcu_srtp_free);
  g_clear_pointer (&pair->b, mcu_srtp_free);
}

/* An RTP packet: V=2, PT 111, @seq, SSRC 0x11223344, @payload_len bytes of pattern. */
static gsize
make_rtp (guint8 *buf, guint16 seq, gsize payload_len)
{
  buf[0] = 0x80;
  buf[1] = 111;
  buf[2] = seq >> 8;
  buf[3] = seq & 0xff;
  memset (buf + 4, 0, 4);
  buf[8] = 0x11, buf[9] = 0x22, buf[10] = 0x33, buf[11] = 0x44;
  for (gsize i = 0; i < payload_len; i++)
    buf[12 + i] = (guint8) (i * 7 + seq);
  return 12 + payload_len;
}

/* An RTCP receiver report with no report blocks (8 bytes). */
static gsize
make_rtcp (guint8 *buf)
{
  static const guint8 rr[] = { 0x80, 201, 0x00, 0x01, 0xaa, 0xbb, 0xcc, 0xdd };

  memcpy (buf, rr, sizeof rr);
  return sizeof rr;
}

static void
check_round_trip (McuSrtpProfile profile)
{
  Pair pair = { 0 };
  guint8 plain[1300], buf[1300 + MCU_SRTP_TRAILER_SPACE], copy[sizeof buf];

  make_pair (&pair, profile);
  for (guint16 seq = 1000; seq < 1100; seq++) {
    gsize len = make_rtp (plain, seq, 100 + seq % 900);
    memcpy (buf, plain, len);
    int n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
    g_assert_cmpint (n, ==, (int) len + 16 - (profile == MCU_SRTP_PROFILE_AES128_CM_SHA1_80 ? 6 : 0));
    g_assert_cmpint (memcmp (buf + 12, plain + 12, len - 12), !=, 0); /* payload is encrypted */
    memcpy (copy, buf, n);
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, (int) len);
    g_assert_cmpmem (buf, len, plain, len);
    /* The same packet again is a replay. */
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, copy, n), ==, -EALREADY);
  }
  /* RTCP both ways. */
  for (int i = 0; i < 10; i++) {
    gsize len = make_rtcp (plain);
    memcpy (buf, plain, len);
    int n = mcu_srtp_protect_rtcp (pair.b, buf, len, sizeof buf);
    g_assert_cmpint (n, >, (int) len);
    memcpy (copy, buf, n);
    g_assert_cmpint (mcu_srtp_unprotect_rtcp (pair.a, buf, n), ==, (int) len);
    g_assert_cmpmem (buf, len, plain, len);
    g_assert_cmpint (mcu_srtp_unprotect_rtcp (pair.a, copy, n), ==, -EALREADY);
  }
  clear_pair (&pair);
}

static void
test_round_trip_gcm (void)
{
  check_round_trip (MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_round_trip_cm (void)
{
  check_round_trip (MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
check_tamper (McuSrtpProfile profile)
{
  Pair pair = { 0 };
  guint8 buf[400 + MCU_SRTP_TRAILER_SPACE], copy[sizeof buf];
  gsize len = make_rtp (buf, 7, 300);
  int n;

  make_pair (&pair, profile);
  n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
  g_assert_cmpint (n, >, 0);
  /* Flip one bit anywhere: payload, header, tag. Each must fail authentication. */
  for (int pos = 0; pos < n; pos += 37) {
    memcpy (copy, buf, n);
    copy[pos] ^= 0x04;
    int ret = mcu_srtp_unprotect_rtp (pair.b, copy, n);
    g_assert_cmpint (ret, <, 0);
  }
  /* Truncated: shorter than a header, and cut inside the tag. */
  memcpy (copy, buf, n);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, copy, 5), ==, -EINVAL);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, copy, 14), <, 0);
  /* The untouched packet still decrypts after all that. */
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, (int) len);
  /* RTCP tampered. */
  len = make_rtcp (buf);
  n = mcu_srtp_protect_rtcp (pair.a, buf, len, sizeof buf);
  g_assert_cmpint (n, >, 0);
  buf[n - 1] ^= 0x80;
  g_assert_cmpint (mcu_srtp_unprotect_rtcp (pair.b, buf, n), ==, -EBADMSG);
  g_assert_cmpint (mcu_srtp_unprotect_rtcp (pair.b, buf, 3), ==, -EINVAL);
  clear_pair (&pair);
}

static void
test_tamper_gcm (void)
{
  check_tamper (MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_tamper_cm (void)
{
  check_tamper (MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_wrong_key (void)
{
  Pair one = { 0 }, two = { 0 };
  guint8 buf[200 + MCU_SRTP_TRAILER_SPACE];
  gsize len = make_rtp (buf, 1, 100);
  int n;

  make_pair (&one, MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
  make_pair (&two, MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
  n = mcu_srtp_protect_rtp (one.a, buf, len, sizeof buf);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (two.b, buf, n), ==, -EBADMSG);
  clear_pair (&one);
  clear_pair (&two);
}

static void
test_room_and_profiles (void)
{
  Pair pair = { 0 };
  guint8 buf[200 + MCU_SRTP_TRAILER_SPACE];
  gsize len = make_rtp (buf, 1, 100);
  McuSrtpKeys bad = { .profile = 0x0002, .key_len = 30 };
  McuSrtpKeys short_key = { .profile = MCU_SRTP_PROFILE_AEAD_AES_128_GCM, .key_len = 30 };
  g_autoptr (GError) error = NULL;

  make_pair (&pair, MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
  g_assert_cmpint (mcu_srtp_protect_rtp (pair.a, buf, len, len + 10), ==, -EMSGSIZE);
  g_assert_cmpint (mcu_srtp_protect_rtcp (pair.a, buf, len, len), ==, -EMSGSIZE);
  g_assert_cmpint (mcu_srtp_protect_rtp (pair.a, buf, 11, sizeof buf), ==, -EINVAL);
  g_assert_null (mcu_srtp_new (&bad, &error));
  g_assert_error (error, MCU_SRTP_ERROR, 0);
  g_clear_error (&error);
  g_assert_null (mcu_srtp_new (&short_key, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (mcu_srtp_profile_name (MCU_SRTP_PROFILE_AEAD_AES_128_GCM), ==, "AEAD_AES_128_GCM");
  g_assert_cmpstr (mcu_srtp_profile_name (MCU_SRTP_PROFILE_AES128_CM_SHA1_80), ==,
                   "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpuint (mcu_srtp_profile_key_len (MCU_SRTP_PROFILE_AEAD_AES_128_GCM), ==, 28);
  g_assert_cmpuint (mcu_srtp_profile_key_len (MCU_SRTP_PROFILE_AES128_CM_SHA1_80), ==, 30);
  clear_pair (&pair);
}

/* Reordered packets inside the window are accepted once each; far older ones are rejected. */
static void
test_reorder_window (void)
{
  Pair pair = { 0 };
  enum { N = 40 };
  guint8 packets[N][200 + MCU_SRTP_TRAILER_SPACE];
  int lens[N];

  make_pair (&pair, MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
  for (int i = 0; i < N; i++) {
    gsize len = make_rtp (packets[i], (guint16) (i + 1), 50);
    lens[i] = mcu_srtp_protect_rtp (pair.a, packets[i], len, sizeof packets[i]);
    g_assert_cmpint (lens[i], >, 0);
  }
  for (int i = N - 1; i >= 0; i -= 2)
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, packets[i], lens[i]), ==, 62);
  for (int i = 0; i < N; i += 2)
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, packets[i], lens[i]), ==, 62);
  clear_pair (&pair);
}

/* ---- interop with libsrtp2 ---- */

typedef struct {
  McuSrtp *ours;   /* sends with key 1, receives with key 2 */
  srtp_t send;     /* libsrtp2 sending with key 2 */
  srtp_t recv;     /* libsrtp2 receiving with key 1 */
} Interop;

static srtp_t
libsrtp_session (McuSrtpProfile profile, const guint8 *key, gboolean inbound)
{
  srtp_policy_t policy = { 0 };
  guint8 copy[MCU_SRTP_MAX_KEY_LEN];
  srtp_t session = NULL;

  memcpy (copy, key, sizeof copy);
  if (profile == MCU_SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  }
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = copy;
  policy.window_size = 1024;
  g_assert_cmpint (srtp_create (&session, &policy), ==, srtp_err_status_ok);
  return session;
}

static void
make_interop (Interop *io, McuSrtpProfile profile)
{
  McuSrtpKeys keys = { .profile = profile, .key_len = mcu_srtp_profile_key_len (profile) };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < keys.key_len; i++) {
    keys.local[i] = (guint8) g_random_int ();
    keys.remote[i] = (guint8) g_random_int ();
  }
  io->ours = mcu_srtp_new (&keys, &error);
  g_assert_no_error (error);
  io->recv = libsrtp_session (profile, keys.local, TRUE);
  io->send = libsrtp_session (profile, keys.remote, FALSE);
}

static void
clear_interop (Interop *io)
{
  g_clear_pointer (&io->ours, mcu_srtp_free);
  srtp_dealloc (io->send);
  srtp_dealloc (io->recv);
}

/* RTP with 2 CSRCs and a one-byte header extension (2 words), @ssrc, @seq. */
static gsize
make_rtp_full (guint8 *buf, guint32 ssrc, guint16 seq, gsize payload_len)
{
  static const guint8 ext[] = { 0xbe, 0xde, 0x00, 0x02, 0x10, 0xff, 0x22, 0x01, 0x02, 0x03, 0x00, 0x00 };
  gsize at = 0;

  buf[at++] = 0x80 | 0x10 | 2;
  buf[at++] = 96;
  buf[at++] = seq >> 8;
  buf[at++] = seq & 0xff;
  for (int i = 0; i < 4; i++)
    buf[at++] = (guint8) (seq * 960 >> (24 - 8 * i));
  for (int i = 0; i < 4; i++)
    buf[at++] = (guint8) (ssrc >> (24 - 8 * i));
  for (int i = 0; i < 8; i++)
    buf[at++] = (guint8) (0xc0 + i);
  memcpy (buf + at, ext, sizeof ext);
  at += sizeof ext;
  for (gsize i = 0; i < payload_len; i++)
    buf[at++] = (guint8) (i * 13 + seq);
  return at;
}

static void
check_interop (McuSrtpProfile profile)
{
  Interop io = { 0 };
  guint8 plain[1300], buf[1300 + MCU_SRTP_TRAILER_SPACE];

  make_interop (&io, profile);
  /* Two SSRCs, across a sequence number rollover (the ROC becomes 1). */
  for (guint32 k = 0; k < 300; k++) {
    guint32 ssrc = k % 2 ? 0xdeadbeef : 0x01020304;
    guint16 seq = (guint16) (65400 + k / 2);
    gsize len = make_rtp_full (plain, ssrc, seq, 20 + (k * 37) % 1100);
    int n;

    /* ours → libsrtp2 */
    memcpy (buf, plain, len);
    n = mcu_srtp_protect_rtp (io.ours, buf, len, sizeof buf);
    g_assert_cmpint (n, >, (int) len);
    g_assert_cmpint (srtp_unprotect (io.recv, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpmem (buf, n, plain, len);
    /* libsrtp2 → ours */
    memcpy (buf, plain, len);
    n = (int) len;
    g_assert_cmpint (srtp_protect (io.send, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpint (mcu_srtp_unprotect_rtp (io.ours, buf, n), ==, (int) len);
    g_assert_cmpmem (buf, len, plain, len);
  }
  /* SRTCP both ways: a sender report and a compound with a longer payload. */
  for (int k = 0; k < 20; k++) {
    gsize len = 8 + 4 * (gsize) (k % 7);
    int n;

    memset (plain, 0, len);
    plain[0] = 0x80, plain[1] = 201, plain[3] = (guint8) (len / 4 - 1);
    plain[4] = 0x55, plain[7] = (guint8) k;
    for (gsize i = 8; i < len; i++)
      plain[i] = (guint8) (i + k);
    memcpy (buf, plain, len);
    n = mcu_srtp_protect_rtcp (io.ours, buf, len, sizeof buf);
    g_assert_cmpint (n, >, (int) len);
    g_assert_cmpint (srtp_unprotect_rtcp (io.recv, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpmem (buf, n, plain, len);
    memcpy (buf, plain, len);
    n = (int) len;
    g_assert_cmpint (srtp_protect_rtcp (io.send, buf, &n), ==, srtp_err_status_ok);
    g_assert_cmpint (mcu_srtp_unprotect_rtcp (io.ours, buf, n), ==, (int) len);
    g_assert_cmpmem (buf, len, plain, len);
  }
  clear_interop (&io);
}

static void
test_interop_gcm (void)
{
  check_interop (MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_interop_cm (void)
{
  check_interop (MCU_SRTP_PROFILE_AES128_CM_SHA1_80);
}

/* Inbound SSRCs beyond the table replace the least recently used; a forged packet from a new SSRC
 * is not remembered; a packet far older than the window is refused. */
static void
test_many_ssrcs_and_old (void)
{
  Pair pair = { 0 };
  guint8 buf[200 + MCU_SRTP_TRAILER_SPACE], old[sizeof buf];
  gsize len;
  int n, old_n;

  make_pair (&pair, MCU_SRTP_PROFILE_AEAD_AES_128_GCM);
  len = make_rtp (old, 10, 40);
  old_n = mcu_srtp_protect_rtp (pair.a, old, len, sizeof old);
  for (guint32 s = 0; s < 100; s++) {
    len = make_rtp_full (buf, 0x7000 + s, (guint16) s, 40);
    n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, (int) len);
  }
  /* 2000 packets later on SSRC 0x11223344, packet 10 is far outside the 1024 window. */
  for (guint16 seq = 11; seq < 2011; seq++) {
    len = make_rtp (buf, seq, 40);
    n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
    g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, (int) len);
  }
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, old, old_n), ==, -EALREADY);
  /* A forged packet on a new SSRC fails and does not evict anything. */
  len = make_rtp_full (buf, 0x99999999, 5, 40);
  n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
  buf[n - 1] ^= 1;
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, -EBADMSG);
  len = make_rtp (buf, 2011, 40);
  n = mcu_srtp_protect_rtp (pair.a, buf, len, sizeof buf);
  g_assert_cmpint (mcu_srtp_unprotect_rtp (pair.b, buf, n), ==, (int) len);
  clear_pair (&pair);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (srtp_init (), ==, srtp_err_status_ok); /* once per process */
  g_test_add_func ("/srtp/round-trip/gcm", test_round_trip_gcm);
  g_test_add_func ("/srtp/round-trip/cm-sha1-80", test_round_trip_cm);
  g_test_add_func ("/srtp/tamper/gcm", test_tamper_gcm);
  g_test_add_func ("/srtp/tamper/cm-sha1-80", test_tamper_cm);
  g_test_add_func ("/srtp/wrong-key", test_wrong_key);
  g_test_add_func ("/srtp/room-and-profiles", test_room_and_profiles);
  g_test_add_func ("/srtp/reorder-window", test_reorder_window);
  g_test_add_func ("/srtp/interop/gcm", test_interop_gcm);
  g_test_add_func ("/srtp/interop/cm-sha1-80", test_interop_cm);
  g_test_add_func ("/srtp/many-ssrcs-and-old", test_many_ssrcs_and_old);
  return g_test_run ();
}
