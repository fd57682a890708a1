/* SPDX-License-Identifier: MIT */
/*
 * bench-srtp: CPU per packet of the mcu's SRTP (mcu/transport/srtp.c, OpenSSL) against libsrtp2 (as
 * Debian builds it, on NSS), for both DTLS-SRTP profiles and two packet sizes (audio ~100 bytes,
 * video ~1200): protect and unprotect, ns per packet, thread CPU time over --packets packets.
 *
 *   build/tools/bench-srtp [--packets 200000]
 *
 * Threads: one.
 */
#include "bench-clock.h"
#include "transport/srtp.h"

#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  McuSrtpProfile profile;
  gsize size;
  double ours_protect, ours_unprotect, lib_protect, lib_unprotect; /* ns per packet */
} Row;

static gsize
make_rtp (guint8 *buf, guint16 seq, gsize size)
{
  memset (buf, 0x5a, size);
  buf[0] = 0x80, buf[1] = 96, buf[2] = seq >> 8, buf[3] = seq & 0xff;
  buf[8] = 0x12, buf[9] = 0x34, buf[10] = 0x56, buf[11] = 0x78;
  return size;
}

static srtp_t
lib_session (McuSrtpProfile profile, guint8 *key, gboolean inbound)
{
  srtp_policy_t policy = { 0 };
  srtp_t session = NULL;

  if (profile == MCU_SRTP_PROFILE_AEAD_AES_128_GCM) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth (&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  }
  policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = key;
  policy.window_size = 1024;
  if (srtp_create (&session, &policy) != srtp_err_status_ok) {
    fprintf (stderr, "bench-srtp: srtp_create failed\n");
    exit (1);
  }
  return session;
}

#define BATCH 512

typedef struct {
  guint8 data[1400 + MCU_SRTP_TRAILER_SPACE];
  int len;
} Packet;

/* Protect then unprotect @n packets with ours, then with libsrtp2, timed a batch at a time (so the
 * clock is read once per batch); every packet is checked to come back whole. */
static void
measure (Row *row, guint n, Packet *batch)
{
  McuSrtpKeys keys = { .profile = row->profile, .key_len = mcu_srtp_profile_key_len (row->profile) };
  McuSrtpKeys mirror = keys;
  double t0, ours[2] = { 0 }, lib[2] = { 0 };

  for (gsize i = 0; i < keys.key_len; i++)
    keys.local[i] = mirror.remote[i] = (guint8) (i * 31 + 7);
  McuSrtp *tx = mcu_srtp_new (&keys, NULL), *rx = mcu_srtp_new (&mirror, NULL);
  srtp_t ltx = lib_session (row->profile, keys.local, FALSE), lrx = lib_session (row->profile, keys.local, TRUE);
  for (guint done = 0; done < n; done += BATCH) {
    for (int k = 0; k < BATCH; k++)
      make_rtp (batch[k].data, (guint16) (done + k), row->size);
    t0 = bench_thread_cpu_ns ();
    for (int k = 0; k < BATCH; k++)
      batch[k].len = mcu_srtp_protect_rtp (tx, batch[k].data, row->size, sizeof batch[k].data);
    ours[0] += bench_thread_cpu_ns () - t0;
    t0 = bench_thread_cpu_ns ();
    for (int k = 0; k < BATCH; k++)
      batch[k].len = mcu_srtp_unprotect_rtp (rx, batch[k].data, (gsize) batch[k].len);
    ours[1] += bench_thread_cpu_ns () - t0;
    for (int k = 0; k < BATCH; k++)
      if (batch[k].len != (int) row->size)
        g_error ("bench-srtp: ours failed (%d)", batch[k].len);

    for (int k = 0; k < BATCH; k++)
      batch[k].len = (int) make_rtp (batch[k].data, (guint16) (done + k), row->size);
    t0 = bench_thread_cpu_ns ();
    for (int k = 0; k < BATCH; k++)
      if (srtp_protect (ltx, batch[k].data, &batch[k].len) != srtp_err_status_ok)
        batch[k].len = -1;
    lib[0] += bench_thread_cpu_ns () - t0;
    t0 = bench_thread_cpu_ns ();
    for (int k = 0; k < BATCH; k++)
      if (srtp_unprotect (lrx, batch[k].data, &batch[k].len) != srtp_err_status_ok)
        batch[k].len = -1;
    lib[1] += bench_thread_cpu_ns () - t0;
    for (int k = 0; k < BATCH; k++)
      if (batch[k].len != (int) row->size)
        g_error ("bench-srtp: libsrtp2 failed");
  }
  n = (n + BATCH - 1) / BATCH * BATCH;
  row->ours_protect = ours[0] / n, row->ours_unprotect = ours[1] / n;
  row->lib_protect = lib[0] / n, row->lib_unprotect = lib[1] / n;
  mcu_srtp_free (tx);
  mcu_srtp_free (rx);
  srtp_dealloc (ltx);
  srtp_dealloc (lrx);
}

int
main (int argc, char **argv)
{
  guint packets = 200000;
  Row rows[] = { { .profile = MCU_SRTP_PROFILE_AEAD_AES_128_GCM, .size = 100 },
                 { .profile = MCU_SRTP_PROFILE_AEAD_AES_128_GCM, .size = 1200 },
                 { .profile = MCU_SRTP_PROFILE_AES128_CM_SHA1_80, .size = 100 },
                 { .profile = MCU_SRTP_PROFILE_AES128_CM_SHA1_80, .size = 1200 } };

  for (int i = 1; i < argc; i++) {
    if (g_str_equal (argv[i], "--packets") && i + 1 < argc)
      packets = (guint) CLAMP (strtol (argv[i + 1], NULL, 10), 1, G_MAXINT), i++;
    else {
      fprintf (stderr, "usage: bench-srtp [--packets N]\n");
      return 2;
    }
  }
  if (srtp_init () != srtp_err_status_ok)
    return 1;
  g_autofree Packet *batch = g_new (Packet, BATCH);
  printf ("%-24s %5s  %15s %17s  %15s %17s  %s\n", "profile", "bytes", "ours protect ns", "ours unprotect ns",
          "libsrtp2 prot.", "libsrtp2 unprot.", "libsrtp2/ours");
  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++) {
    measure (&rows[i], packets, batch);
    printf ("%-24s %5zu  %15.0f %17.0f  %15.0f %17.0f  %.1fx\n", mcu_srtp_profile_name (rows[i].profile),
            rows[i].size, rows[i].ours_protect, rows[i].ours_unprotect, rows[i].lib_protect, rows[i].lib_unprotect,
            (rows[i].lib_protect + rows[i].lib_unprotect) / (rows[i].ours_protect + rows[i].ours_unprotect));
  }
  return 0;
}
