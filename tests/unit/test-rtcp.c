/* SPDX-License-Identifier: MIT */
/* Unit tests for RTCP: every builder's output read back by the parser (SR, RR, SDES, BYE, NACK, PLI,
 * FIR, REMB, TMMBR, TWCC), compound and reduced-size packets, and hand-made malformed packets (empty
 * compound, lying lengths, padding not last or too big, truncated items, NACK with no items, bad
 * TWCC chunks and deltas) that must give -EINVAL without reading out of bounds. */
#include "transport/rtcp.h"

#include <string.h>

static McuRtcpPacket
parse_one (const guint8 *buf, gsize len)
{
  McuRtcpIter iter;
  McuRtcpPacket p;

  g_assert_cmpint (mcu_rtcp_validate (buf, len), ==, 0);
  mcu_rtcp_iter_init (&iter, buf, len);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &(McuRtcpPacket) { 0 }), ==, 0);
  return p;
}

static void
test_sr (void)
{
  guint8 buf[256];
  McuRtcpReportBlock in[2] = {
    { .ssrc = 11, .fraction_lost = 25, .cumulative_lost = -3, .ext_highest_seq = 70000,
      .jitter = 360, .lsr = 0x12345678, .dlsr = 65536 },
    { .ssrc = 12, .cumulative_lost = 0x7FFFFF },
  }, out;
  int len = mcu_rtcp_build_sr (buf, sizeof buf, 99, G_GUINT64_CONSTANT (0xE1234567C0000000), 48000,
                               10, 1000, in, 2);

  g_assert_cmpint (len, ==, 28 + 48);
  McuRtcpPacket p = parse_one (buf, (gsize) len);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_SR);
  g_assert_cmpuint (p.sender_ssrc, ==, 99);
  g_assert_cmpuint (p.ntp, ==, G_GUINT64_CONSTANT (0xE1234567C0000000));
  g_assert_cmpuint (p.rtp_ts, ==, 48000);
  g_assert_cmpuint (p.packet_count, ==, 10);
  g_assert_cmpuint (p.octet_count, ==, 1000);
  g_assert_cmpuint (p.n_items, ==, 2);
  mcu_rtcp_get_report_block (&p, 0, &out);
  g_assert_cmpmem (&out, sizeof out, &in[0], sizeof in[0]);
  mcu_rtcp_get_report_block (&p, 1, &out);
  g_assert_cmpint (out.cumulative_lost, ==, 0x7FFFFF);
  g_assert_cmpint (mcu_rtcp_build_sr (buf, 40, 1, 0, 0, 0, 0, in, 2), ==, -ENOSPC);
}

static void
test_rr_sdes_compound (void)
{
  guint8 buf[256];
  McuRtcpReportBlock block = { .ssrc = 7, .fraction_lost = 128 };
  guint32 ssrcs[2] = { 5, 6 };
  int a = mcu_rtcp_build_rr (buf, sizeof buf, 5, &block, 1);
  int b = mcu_rtcp_build_sdes_cname (buf + a, sizeof buf - (gsize) a, ssrcs, 2, "site-42");
  int c = mcu_rtcp_build_pli (buf + a + b, sizeof buf - (gsize) (a + b), 5, 7);
  int d = mcu_rtcp_build_bye (buf + a + b + c, sizeof buf - (gsize) (a + b + c), ssrcs, 2);
  McuRtcpIter iter;
  McuRtcpPacket p;

  g_assert_cmpint (a, ==, 32);
  g_assert_cmpint (b % 4, ==, 0);
  gsize len = (gsize) (a + b + c + d);
  g_assert_cmpint (mcu_rtcp_validate (buf, len), ==, 0);
  mcu_rtcp_iter_init (&iter, buf, len);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_RR);
  mcu_rtcp_get_report_block (&p, 0, &block);
  g_assert_cmpuint (block.fraction_lost, ==, 128);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_SDES);
  g_assert_cmpuint (p.n_items, ==, 2);
  g_assert_cmpuint (p.sender_ssrc, ==, 5);
  g_assert_cmpuint (p.cname_len, ==, 7);
  g_assert_cmpmem (p.cname, p.cname_len, "site-42", 7);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_PLI);
  g_assert_cmpuint (p.media_ssrc, ==, 7);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 1);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_BYE);
  g_assert_cmpuint (mcu_rtcp_get_bye_ssrc (&p, 1), ==, 6);
  g_assert_cmpint (mcu_rtcp_iter_next (&iter, &p), ==, 0);
}

static void
test_reduced_size (void)
{
  guint8 buf[32];
  int len = mcu_rtcp_build_fir (buf, sizeof buf, 1, 0xCAFE, 9);
  guint32 ssrc;
  guint8 seq_nr;

  McuRtcpPacket p = parse_one (buf, (gsize) len);  /* a lone FIR: no SR/RR first */
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_FIR);
  g_assert_cmpuint (p.n_items, ==, 1);
  mcu_rtcp_get_fir (&p, 0, &ssrc, &seq_nr);
  g_assert_cmpuint (ssrc, ==, 0xCAFE);
  g_assert_cmpuint (seq_nr, ==, 9);
}

static void
test_nack (void)
{
  guint8 buf[128];
  guint16 seqs[] = { 65534, 65535, 0, 3, 15, 16, 40 };  /* across the wrap */
  guint16 pid, blp;
  int len = mcu_rtcp_build_nack (buf, sizeof buf, 1, 2, seqs, G_N_ELEMENTS (seqs));

  McuRtcpPacket p = parse_one (buf, (gsize) len);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_NACK);
  g_assert_cmpuint (p.media_ssrc, ==, 2);
  g_assert_cmpuint (p.n_items, ==, 3);
  mcu_rtcp_get_nack (&p, 0, &pid, &blp);
  g_assert_cmpuint (pid, ==, 65534);
  g_assert_cmpuint (blp, ==, (1 << 0) | (1 << 1) | (1 << 4));
  mcu_rtcp_get_nack (&p, 1, &pid, &blp);
  g_assert_cmpuint (pid, ==, 15);
  g_assert_cmpuint (blp, ==, 1);
  mcu_rtcp_get_nack (&p, 2, &pid, &blp);
  g_assert_cmpuint (pid, ==, 40);
  g_assert_cmpuint (blp, ==, 0);
  g_assert_cmpint (mcu_rtcp_build_nack (buf, sizeof buf, 1, 2, seqs, 0), ==, -EINVAL);
}

static void
test_remb_tmmbr (void)
{
  guint8 buf[64];
  guint32 ssrcs[2] = { 3, 4 };
  guint64 values[] = { 0, 1000, 262143, 500000, 1234567, 2500000, G_GUINT64_CONSTANT (10000000000) };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++) {
    int len = mcu_rtcp_build_remb (buf, sizeof buf, 1, values[i], ssrcs, 2);
    McuRtcpPacket p = parse_one (buf, (gsize) len);
    g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_REMB);
    g_assert_cmpuint (p.n_items, ==, 2);
    g_assert_cmpuint (mcu_rtcp_get_remb_ssrc (&p, 1), ==, 4);
    g_assert_cmpuint (p.bitrate, <=, values[i]);
    g_assert_cmpuint (p.bitrate, >=, values[i] - values[i] / 131072);  /* 18-bit mantissa */

    guint32 ssrc;
    guint64 bps;
    len = mcu_rtcp_build_tmmbr (buf, sizeof buf, 1, 77, values[i], 40);
    p = parse_one (buf, (gsize) len);
    g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_TMMBR);
    mcu_rtcp_get_tmmbr (&p, 0, &ssrc, &bps);
    g_assert_cmpuint (ssrc, ==, 77);
    g_assert_cmpuint (bps, <=, values[i]);
    g_assert_cmpuint (bps, >=, values[i] - values[i] / 65536);
  }
}

static void
check_twcc_round_trip (const McuRtcpTwccStatus *in, guint n)
{
  guint8 buf[1200];
  McuRtcpTwccStatus out[1100];
  McuRtcpTwccHeader header;
  guint used = 0;
  int len = mcu_rtcp_build_twcc (buf, sizeof buf, 1, 2, 7, in, n, &used);

  g_assert_cmpint (len, >, 0);
  g_assert_cmpuint (used, ==, n);
  McuRtcpPacket p = parse_one (buf, (gsize) len);
  g_assert_cmpint (p.kind, ==, MCU_RTCP_KIND_TWCC);
  g_assert_cmpuint (p.n_items, ==, n);
  g_assert_cmpint (mcu_rtcp_twcc_decode (&p, &header, out, G_N_ELEMENTS (out)), ==, (int) n);
  g_assert_cmpuint (header.fb_count, ==, 7);
  g_assert_cmpuint (header.base_seq, ==, in[0].seq);
  gint64 offset = -1;
  for (guint i = 0; i < n; i++) {
    g_assert_cmpuint (out[i].seq, ==, in[i].seq);
    g_assert_cmpint (out[i].received, ==, in[i].received);
    if (!in[i].received)
      continue;
    /* the decoded times keep the differences, to a 250 us tick */
    if (offset < 0)
      offset = in[i].arrival_us - out[i].arrival_us;
    g_assert_cmpint (ABS (in[i].arrival_us - out[i].arrival_us - offset), <, 250);
  }
}

static void
test_twcc_round_trip (void)
{
  McuRtcpTwccStatus st[1000];
  gint64 t = 5000000;

  /* small deltas, losses, a long lost run, large and negative deltas, and a wrap of the seq */
  for (guint i = 0; i < G_N_ELEMENTS (st); i++) {
    gboolean received = !(i % 10 == 3 || (i >= 400 && i < 430));
    if (i == 500)
      t += 300000;       /* large delta */
    else if (i == 600)
      t -= 2000;         /* negative delta (reordered arrival) */
    else
      t += 1000 + (i % 7) * 250;
    st[i] = (McuRtcpTwccStatus) { (guint16) (65000 + i), received, t };
  }
  check_twcc_round_trip (st, G_N_ELEMENTS (st));
  check_twcc_round_trip (st + 4, 1);          /* one status */
  check_twcc_round_trip (st + 3, 2);          /* starts with a lost packet */
  check_twcc_round_trip (st + 395, 40);       /* mostly a run of losses */
}

static void
test_twcc_limits (void)
{
  guint8 buf[1200];
  McuRtcpTwccStatus st[3] = { { 1, TRUE, 1000 }, { 2, TRUE, 2000 }, { 3, TRUE, 20000000 } };
  McuRtcpTwccStatus lost[2] = { { 1, FALSE, 0 }, { 2, FALSE, 0 } };
  guint used = 0;

  /* 20 s does not fit a 16-bit delta: the packet stops before it */
  g_assert_cmpint (mcu_rtcp_build_twcc (buf, sizeof buf, 1, 2, 0, st, 3, &used), >, 0);
  g_assert_cmpuint (used, ==, 2);
  g_assert_cmpint (mcu_rtcp_build_twcc (buf, sizeof buf, 1, 2, 0, lost, 2, &used), ==, -EINVAL);
  g_assert_cmpint (mcu_rtcp_build_twcc (buf, 16, 1, 2, 0, st, 2, &used), ==, -ENOSPC);
}

typedef struct {
  const char *name;
  guint8 data[48];
  gsize len;
} Bad;

static const Bad bad_packets[] = {
  { "empty", { 0 }, 0 },
  { "not-word-aligned", { 0x80, 201, 0, 1, 0, 0, 0, 1, 0 }, 9 },
  { "version-1", { 0x40, 201, 0, 1, 0, 0, 0, 1 }, 8 },
  { "not-rtcp-type", { 0x80, 96, 0, 1, 0, 0, 0, 1 }, 8 },
  { "length-lies", { 0x80, 201, 0, 9, 0, 0, 0, 1 }, 8 },
  { "second-length-lies", { 0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 206, 0, 7, 0, 0, 0, 1 }, 16 },
  { "rr-count-lies", { 0x82, 201, 0, 6, 0, 0, 0, 1 }, 28 },
  { "sr-too-short", { 0x80, 200, 0, 1, 0, 0, 0, 1 }, 8 },
  { "padding-not-last", { 0xA0, 201, 0, 1, 0, 0, 0, 4, 0x80, 201, 0, 1, 0, 0, 0, 1 }, 16 },
  { "padding-too-big", { 0xA0, 201, 0, 1, 0, 0, 0, 9 }, 8 },
  { "padding-zero", { 0xA0, 201, 0, 1, 0, 0, 0, 0 }, 8 },
  { "sdes-no-terminator", { 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 2, 'a', 'b' }, 12 },
  { "sdes-item-overruns", { 0x81, 202, 0, 2, 0, 0, 0, 1, 1, 9, 'a', 'b' }, 12 },
  { "sdes-chunks-lie", { 0x82, 202, 0, 2, 0, 0, 0, 1, 1, 1, 'a', 0 }, 12 },
  { "bye-count-lies", { 0x83, 203, 0, 1, 0, 0, 0, 1 }, 8 },
  { "bye-reason-overruns", { 0x81, 203, 0, 2, 0, 0, 0, 1, 9, 'x', 'y', 'z' }, 12 },
  { "feedback-too-short", { 0x81, 206, 0, 1, 0, 0, 0, 1 }, 8 },
  { "nack-no-items", { 0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2 }, 12 },
  { "fir-no-items", { 0x84, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0 }, 12 },
  { "tmmbr-no-items", { 0x83, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0 }, 12 },
  { "remb-ssrcs-lie", { 0x8F, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 5, 0, 0, 1 }, 20 },
  { "twcc-too-short", { 0x8F, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1 }, 16 },
  /* 3 statuses, run-length chunk "small delta" x3, but only 1 delta byte follows (+ zero pad) */
  { "twcc-deltas-missing", { 0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 3, 0, 0, 0, 0,
                             0x20, 3, 4, 0 }, 24 },
  /* no chunk at all for 1 status */
  { "twcc-chunks-missing", { 0x8F, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0 }, 20 },
  /* two-bit vector chunk with the reserved symbol 3 */
  { "twcc-bad-symbol", { 0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0,
                         0xF0, 0, 0, 0 }, 24 },
  { "twcc-run-symbol-3", { 0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0,
                           0x60, 1, 0, 0 }, 24 },
};

static void
test_malformed (gconstpointer data)
{
  const Bad *bad = data;
  /* copy into an exact-size heap buffer so ASan catches any read past the end */
  g_autofree guint8 *copy = g_memdup2 (bad->data, MAX (bad->len, 1));
  McuRtcpIter iter;
  McuRtcpPacket p;

  g_assert_cmpint (mcu_rtcp_validate (copy, bad->len), ==, -EINVAL);
  mcu_rtcp_iter_init (&iter, copy, bad->len);
  int r;
  while ((r = mcu_rtcp_iter_next (&iter, &p)) > 0)
    ;
  if (bad->len > 0)
    g_assert_cmpint (r, ==, -EINVAL);
}

static void
test_truncations (void)
{
  guint8 buf[512];
  McuRtcpReportBlock block = { .ssrc = 7 };
  guint32 ssrc = 5;
  guint16 seqs[] = { 1, 5, 30 };
  McuRtcpTwccStatus st[20];
  guint used;
  gsize len = 0, ends[5];

  for (guint i = 0; i < G_N_ELEMENTS (st); i++)
    st[i] = (McuRtcpTwccStatus) { (guint16) i, i % 3 != 0, 1000000 + i * 3000 };
  len += (gsize) mcu_rtcp_build_sr (buf, sizeof buf, 5, 1, 2, 3, 4, &block, 1);
  ends[0] = len;
  len += (gsize) mcu_rtcp_build_sdes_cname (buf + len, sizeof buf - len, &ssrc, 1, "x");
  ends[1] = len;
  len += (gsize) mcu_rtcp_build_nack (buf + len, sizeof buf - len, 5, 7, seqs, 3);
  ends[2] = len;
  len += (gsize) mcu_rtcp_build_remb (buf + len, sizeof buf - len, 5, 100000, &ssrc, 1);
  ends[3] = len;
  len += (gsize) mcu_rtcp_build_twcc (buf + len, sizeof buf - len, 5, 7, 0, st, 20, &used);
  ends[4] = len;
  g_assert_cmpint (mcu_rtcp_validate (buf, len), ==, 0);
  /* every shorter datagram fails cleanly, unless it ends exactly between two sub-packets */
  for (gsize cut = 0; cut < len; cut++) {
    g_autofree guint8 *copy = g_memdup2 (buf, MAX (cut, 1));
    gboolean boundary = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS (ends); i++)
      boundary = boundary || ends[i] == cut;
    g_assert_cmpint (mcu_rtcp_validate (copy, cut), ==, boundary ? 0 : -EINVAL);
  }
  /* and every length field changed by one word is rejected or still read within bounds */
  for (gsize at = 0; at < len; at += 4) {
    g_autofree guint8 *copy = g_memdup2 (buf, len);
    if (copy[at] >> 6 != 2)
      continue;
    copy[at + 3] ^= 0x01;  /* a header's length, off by one word */
    (void) mcu_rtcp_validate (copy, len);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtcp/sr", test_sr);
  g_test_add_func ("/rtcp/compound/rr-sdes-pli-bye", test_rr_sdes_compound);
  g_test_add_func ("/rtcp/reduced-size/fir", test_reduced_size);
  g_test_add_func ("/rtcp/nack", test_nack);
  g_test_add_func ("/rtcp/remb-tmmbr", test_remb_tmmbr);
  g_test_add_func ("/rtcp/twcc/round-trip", test_twcc_round_trip);
  g_test_add_func ("/rtcp/twcc/limits", test_twcc_limits);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_packets); i++) {
    g_autofree char *path = g_strdup_printf ("/rtcp/malformed/%s", bad_packets[i].name);
    g_test_add_data_func (path, &bad_packets[i], test_malformed);
  }
  g_test_add_func ("/rtcp/malformed/truncations", test_truncations);
  return g_test_run ();
}
