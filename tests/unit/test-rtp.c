/* SPDX-License-Identifier: MIT */
/* Unit tests for the RTP header code: parsing with CSRCs, one- and two-byte extensions and padding,
 * the WebRTC extension readers, writing extensions in place, RTX wrap/unwrap, and malformed packets
 * (lying lengths, truncated extensions, oversized padding) giving -EINVAL. */
#include "transport/rtp.h"

#include <string.h>

/* V=2, PT 96, seq 0x1234, ts 0x01020304, ssrc 0xAABBCCDD */
static gsize
basic (guint8 *buf, gsize payload_len)
{
  McuRtpHeader h = { .pt = 96, .seq = 0x1234, .ts = 0x01020304, .ssrc = 0xAABBCCDD, .marker = TRUE };

  g_assert_cmpint (mcu_rtp_write_header (buf, 64, &h), ==, 12);
  for (gsize i = 0; i < payload_len; i++)
    buf[12 + i] = (guint8) (i + 1);
  return 12 + payload_len;
}

static void
test_parse_basic (void)
{
  guint8 buf[64];
  McuRtpHeader h;
  gsize len = basic (buf, 10);

  g_assert_cmpint (mcu_rtp_parse (buf, len, &h), ==, 0);
  g_assert_true (h.marker);
  g_assert_cmpuint (h.pt, ==, 96);
  g_assert_cmpuint (h.seq, ==, 0x1234);
  g_assert_cmpuint (h.ts, ==, 0x01020304);
  g_assert_cmpuint (h.ssrc, ==, 0xAABBCCDD);
  g_assert_cmpuint (h.header_len, ==, 12);
  g_assert_cmpuint (h.payload_len, ==, 10);
  g_assert_cmpuint (h.ext_profile, ==, 0);
  g_assert_false (mcu_rtp_is_rtcp (buf, len));
  buf[1] = 200;
  g_assert_true (mcu_rtp_is_rtcp (buf, len));
}

static void
test_parse_csrc_padding (void)
{
  /* 2 CSRCs, 3 payload bytes, 4 bytes of padding */
  guint8 buf[] = { 0xA2, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2,
                   9, 9, 9, 0, 0, 0, 4 };
  McuRtpHeader h;

  g_assert_cmpint (mcu_rtp_parse (buf, sizeof buf, &h), ==, 0);
  g_assert_cmpuint (h.csrc_count, ==, 2);
  g_assert_cmpuint (h.header_len, ==, 20);
  g_assert_cmpuint (h.padding_len, ==, 4);
  g_assert_cmpuint (h.payload_len, ==, 3);
}

/* one-byte extensions: audio level (id 1), abs-send-time (id 3), twcc (id 5), mid (id 9) */
static const guint8 one_byte_packet[] = {
  0x90, 0x6F, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 2,
  0xBE, 0xDE, 0x00, 0x04,
  0x10, 0x85,                    /* id 1 len 1: voice, level 5 */
  0x32, 0x12, 0x34, 0x56,        /* id 3 len 3 */
  0x51, 0xAB, 0xCD,              /* id 5 len 2 */
  0x00,                          /* padding byte between elements */
  0x90, 'a',                     /* id 9 len 1: mid "a" */
  0x00, 0x00, 0x00, 0x00,
  0xDE, 0xAD,                    /* payload */
};

static void
test_extensions_one_byte (void)
{
  McuRtpHeader h;
  gboolean voice = FALSE;
  char mid[8];

  g_assert_cmpint (mcu_rtp_parse (one_byte_packet, sizeof one_byte_packet, &h), ==, 0);
  g_assert_cmpuint (h.ext_profile, ==, MCU_RTP_EXT_ONE_BYTE);
  g_assert_cmpuint (h.ext_len, ==, 16);
  g_assert_cmpuint (h.payload_len, ==, 2);
  g_assert_cmpint (mcu_rtp_get_audio_level (one_byte_packet, &h, 1, &voice), ==, 5);
  g_assert_true (voice);
  g_assert_cmpint (mcu_rtp_get_abs_send_time (one_byte_packet, &h, 3), ==, 0x123456);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (one_byte_packet, &h, 5), ==, 0xABCD);
  g_assert_cmpint (mcu_rtp_get_mid (one_byte_packet, &h, 9, mid, sizeof mid), ==, 1);
  g_assert_cmpstr (mid, ==, "a");
  g_assert_cmpint (mcu_rtp_get_twcc_seq (one_byte_packet, &h, 7), ==, -ENOENT);
  g_assert_cmpint (mcu_rtp_get_mid (one_byte_packet, &h, 9, mid, 1), ==, -ENOSPC);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (one_byte_packet, &h, 1), ==, -EINVAL); /* too short */
}

static void
test_extensions_two_byte (void)
{
  guint8 buf[] = {
    0x90, 0x6F, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 2,
    0x10, 0x00, 0x00, 0x02,
    20, 2, 0x01, 0x02,         /* id 20 len 2 */
    5, 0, 0, 0,                /* id 5, zero length (legal in two-byte form), padding */
    0x77,
  };
  McuRtpHeader h;
  const guint8 *data;

  g_assert_cmpint (mcu_rtp_parse (buf, sizeof buf, &h), ==, 0);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 20), ==, 0x0102);
  g_assert_cmpint (mcu_rtp_find_extension (buf, &h, 5, &data), ==, 0);
  g_assert_cmpint (mcu_rtp_get_mid (buf, &h, 5, (char[4]) { 0 }, 4), ==, -EINVAL);
}

static void
test_set_extension (void)
{
  guint8 buf[128];
  McuRtpHeader h;
  gsize len = basic (buf, 10);
  guint8 seq[2] = { 0x12, 0x34 }, ast[3] = { 1, 2, 3 }, big[20];
  int r;

  g_assert_cmpint (mcu_rtp_parse (buf, len, &h), ==, 0);
  r = mcu_rtp_set_extension (buf, len, sizeof buf, &h, 5, seq, 2);
  g_assert_cmpint (r, ==, 12 + 4 + 4 + 10);
  g_assert_cmpuint (h.ext_profile, ==, MCU_RTP_EXT_ONE_BYTE);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 5), ==, 0x1234);
  g_assert_cmpuint (buf[h.header_len], ==, 1);
  g_assert_cmpuint (buf[h.header_len + 9], ==, 10);   /* payload moved intact */
  len = (gsize) r;

  r = mcu_rtp_set_extension (buf, len, sizeof buf, &h, 3, ast, 3);
  g_assert_cmpint (r, ==, 12 + 4 + 8 + 10);
  len = (gsize) r;
  seq[1] = 0x99;  /* same length: rewritten in place, length unchanged */
  g_assert_cmpint (mcu_rtp_set_extension (buf, len, sizeof buf, &h, 5, seq, 2), ==, (int) len);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 5), ==, 0x1299);
  g_assert_cmpint (mcu_rtp_get_abs_send_time (buf, &h, 3), ==, 0x010203);

  /* 20 bytes do not fit the one-byte form: the block becomes two-byte, old elements kept */
  memset (big, 0x5A, sizeof big);
  r = mcu_rtp_set_extension (buf, len, sizeof buf, &h, 7, big, sizeof big);
  g_assert_cmpint (r, >, 0);
  g_assert_cmpuint (h.ext_profile, ==, MCU_RTP_EXT_TWO_BYTE);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 5), ==, 0x1299);
  g_assert_cmpuint (h.payload_len, ==, 10);
  g_assert_cmpuint (buf[h.header_len + 9], ==, 10);

  /* no room */
  g_assert_cmpint (mcu_rtp_set_extension (buf, (gsize) r, (gsize) r + 2, &h, 9, big, 8), ==, -ENOSPC);
  g_assert_cmpint (mcu_rtp_set_extension (buf, (gsize) r, sizeof buf, &h, 0, big, 1), ==, -EINVAL);
}

static void
test_set_extensions_at_once (void)
{
  guint8 buf[128];
  McuRtpHeader h;
  gsize len = basic (buf, 10);
  guint8 level = 0x85, seq[2] = { 0, 7 }, mid[2] = { 'v', '1' };
  McuRtpExtension three[3] = { { 1, 1, &level }, { 5, 2, seq }, { 9, 2, mid } };
  char text[8];

  g_assert_cmpint (mcu_rtp_parse (buf, len, &h), ==, 0);
  int r = mcu_rtp_set_extensions (buf, len, sizeof buf, &h, three, 3);
  g_assert_cmpint (r, ==, 12 + 4 + 8 + 10);   /* 2 + 3 + 3 bytes of elements in one block */
  g_assert_cmpint (mcu_rtp_get_audio_level (buf, &h, 1, NULL), ==, 5);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 5), ==, 7);
  g_assert_cmpint (mcu_rtp_get_mid (buf, &h, 9, text, sizeof text), ==, 2);
  g_assert_cmpstr (text, ==, "v1");
  /* again with one changed value and one new element: existing ones rewritten in place */
  seq[1] = 8;
  guint8 ast[3] = { 9, 9, 9 };
  McuRtpExtension two[2] = { { 5, 2, seq }, { 3, 3, ast } };
  r = mcu_rtp_set_extensions (buf, (gsize) r, sizeof buf, &h, two, 2);
  g_assert_cmpint (r, ==, 12 + 4 + 12 + 10);
  g_assert_cmpint (mcu_rtp_get_twcc_seq (buf, &h, 5), ==, 8);
  g_assert_cmpint (mcu_rtp_get_abs_send_time (buf, &h, 3), ==, 0x090909);
  g_assert_cmpint (mcu_rtp_get_audio_level (buf, &h, 1, NULL), ==, 5);
  g_assert_cmpuint (buf[h.header_len + 9], ==, 10);
  McuRtpExtension bad = { 0, 1, &level };
  g_assert_cmpint (mcu_rtp_set_extensions (buf, (gsize) r, sizeof buf, &h, &bad, 1), ==, -EINVAL);
}

static void
test_abs_send_time (void)
{
  g_assert_cmpuint (mcu_rtp_abs_send_time_from_us (G_USEC_PER_SEC), ==, 1u << 18);
  g_assert_cmpuint (mcu_rtp_abs_send_time_from_us (64 * G_USEC_PER_SEC), ==, 0);  /* wraps at 64 s */
  g_assert_cmpuint (mcu_rtp_abs_send_time_from_us (G_USEC_PER_SEC / 2), ==, 1u << 17);
}

static void
test_rtx_round_trip (void)
{
  guint8 orig[64], rtx[80];
  McuRtpHeader h, hr;
  gsize len = basic (orig, 20);

  g_assert_cmpint (mcu_rtp_parse (orig, len, &h), ==, 0);
  int r = mcu_rtp_rtx_wrap (rtx, sizeof rtx, orig, &h, 97, 0x11111111, 500);
  g_assert_cmpint (r, ==, (int) len + 2);
  g_assert_cmpint (mcu_rtp_parse (rtx, (gsize) r, &hr), ==, 0);
  g_assert_cmpuint (hr.pt, ==, 97);
  g_assert_cmpuint (hr.ssrc, ==, 0x11111111);
  g_assert_cmpuint (hr.seq, ==, 500);
  g_assert_true (hr.marker);
  g_assert_cmpint (rtx[12], ==, 0x12);
  g_assert_cmpint (rtx[13], ==, 0x34);

  r = mcu_rtp_rtx_unwrap (rtx, (gsize) r, &hr, 96, 0xAABBCCDD);
  g_assert_cmpint (r, ==, (int) len);
  g_assert_cmpmem (rtx, len, orig, len);
  g_assert_cmpuint (hr.seq, ==, 0x1234);
  g_assert_cmpint (mcu_rtp_rtx_wrap (rtx, 20, orig, &h, 97, 1, 1), ==, -ENOSPC);
}

static void
test_rtx_drops_padding (void)
{
  guint8 buf[] = { 0xA0, 0x60, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 7, 7, 0, 2 };
  guint8 rtx[32];
  McuRtpHeader h;

  g_assert_cmpint (mcu_rtp_parse (buf, sizeof buf, &h), ==, 0);
  int r = mcu_rtp_rtx_wrap (rtx, sizeof rtx, buf, &h, 97, 2, 3);
  g_assert_cmpint (r, ==, 12 + 2 + 2);
  g_assert_cmpint (mcu_rtp_parse (rtx, (gsize) r, &h), ==, 0);
  g_assert_cmpuint (h.padding_len, ==, 0);
  /* an RTX packet with no room for the OSN (a padding-only probe) does not unwrap */
  g_assert_cmpint (mcu_rtp_parse (rtx, 13, &h), ==, 0);
  g_assert_cmpint (mcu_rtp_rtx_unwrap (rtx, 13, &h, 96, 1), ==, -EINVAL);
}

typedef struct {
  const char *name;
  guint8 data[40];
  gsize len;
} Bad;

static const Bad bad_packets[] = {
  { "short", { 0x80, 0x60, 0, 1 }, 4 },
  { "version-1", { 0x40, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, 12 },
  { "csrc-beyond", { 0x83, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1 }, 16 },
  { "ext-header-truncated", { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE }, 14 },
  { "ext-length-lies", { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 9, 0x10, 1, 0, 0 }, 20 },
  { "ext-element-overruns", { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 1, 0x1F, 1, 2, 3 }, 20 },
  { "two-byte-element-overruns", { 0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 1, 3, 9, 1, 1 }, 20 },
  { "padding-zero", { 0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0 }, 16 },
  { "padding-too-big", { 0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 200 }, 16 },
  { "padding-eats-header", { 0xA0, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 }, 14 },
};

static void
test_malformed (gconstpointer data)
{
  const Bad *bad = data;
  McuRtpHeader h;

  g_assert_cmpint (mcu_rtp_parse (bad->data, bad->len, &h), ==, -EINVAL);
}

static void
test_malformed_every_truncation (void)
{
  McuRtpHeader h;

  /* every prefix of a valid packet with extensions must either parse or fail cleanly */
  for (gsize len = 0; len < sizeof one_byte_packet; len++) {
    guint8 copy[sizeof one_byte_packet];
    memcpy (copy, one_byte_packet, len);
    int r = mcu_rtp_parse (copy, len, &h);
    g_assert_true (r == -EINVAL || (r == 0 && len >= 32));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtp/parse/basic", test_parse_basic);
  g_test_add_func ("/rtp/parse/csrc-padding", test_parse_csrc_padding);
  g_test_add_func ("/rtp/extension/one-byte", test_extensions_one_byte);
  g_test_add_func ("/rtp/extension/two-byte", test_extensions_two_byte);
  g_test_add_func ("/rtp/extension/set", test_set_extension);
  g_test_add_func ("/rtp/extension/set-several", test_set_extensions_at_once);
  g_test_add_func ("/rtp/extension/abs-send-time", test_abs_send_time);
  g_test_add_func ("/rtp/rtx/round-trip", test_rtx_round_trip);
  g_test_add_func ("/rtp/rtx/padding", test_rtx_drops_padding);
  for (gsize i = 0; i < G_N_ELEMENTS (bad_packets); i++) {
    g_autofree char *path = g_strdup_printf ("/rtp/malformed/%s", bad_packets[i].name);
    g_test_add_data_func (path, &bad_packets[i], test_malformed);
  }
  g_test_add_func ("/rtp/malformed/truncations", test_malformed_every_truncation);
  return g_test_run ();
}
