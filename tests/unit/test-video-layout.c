/* SPDX-License-Identifier: MIT */
/* Unit tests for layouts (geometry, automatic choice, seating with talker, pins, presenter and rotation,
 * talker hold time) and for Pango labels with Vietnamese names. */
#include <string.h>

#include "media/video-label.h"
#include "media/video-layout.h"

static void
test_geometry (gconstpointer data)
{
  McuVideoLayoutKind kind = GPOINTER_TO_UINT (data);
  const gint sizes[][2] = { { 1280, 720 }, { 640, 360 }, { 320, 180 } };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    gint w = sizes[s][0], h = sizes[s][1];
    guint n = mcu_video_layout_n_tiles (kind);
    g_autofree guint8 *covered = g_malloc0 ((gsize) w * h);
    McuVideoRect r;

    for (guint i = 0; i < n; i++) {
      g_assert_true (mcu_video_layout_tile_rect (kind, i, w, h, &r));
      g_assert_true (r.x % 2 == 0 && r.y % 2 == 0 && r.width % 2 == 0 && r.height % 2 == 0);
      g_assert_cmpint (r.x + r.width, <=, w);
      g_assert_cmpint (r.y + r.height, <=, h);
      for (gint y = r.y; y < r.y + r.height; y++)
        for (gint x = r.x; x < r.x + r.width; x++)
          g_assert_cmpint (covered[y * w + x]++, ==, 0); /* tiles never overlap */
    }
    g_assert_false (mcu_video_layout_tile_rect (kind, n, w, h, &r));
    /* The main tile of 1+N is larger than the others. */
    McuVideoRect main_rect, small;
    mcu_video_layout_tile_rect (kind, 0, w, h, &main_rect);
    mcu_video_layout_tile_rect (kind, n - 1, w, h, &small);
    if (mcu_video_layout_has_main (kind))
      g_assert_cmpint (main_rect.width * main_rect.height, >, 3 * small.width * small.height);
    else
      g_assert_cmpint (ABS (main_rect.width - small.width), <=, 2);
  }
}

static void
test_exact_ratio (void)
{
  McuVideoRect r;

  /* 4x4 on 1280x720: exactly 320x180, a 2:1 scale of 640x360 cameras. */
  g_assert_true (mcu_video_layout_tile_rect (MCU_VIDEO_LAYOUT_4X4, 5, 1280, 720, &r));
  g_assert_cmpint (r.x, ==, 320);
  g_assert_cmpint (r.y, ==, 180);
  g_assert_cmpint (r.width, ==, 320);
  g_assert_cmpint (r.height, ==, 180);
  g_assert_true (mcu_video_layout_tile_rect (MCU_VIDEO_LAYOUT_1X1, 0, 640, 360, &r));
  g_assert_cmpint (r.width, ==, 640);
  g_assert_cmpint (r.height, ==, 360);
}

static void
test_parse_auto (void)
{
  McuVideoLayoutKind kind;

  g_assert_true (mcu_video_layout_parse ("1+12", &kind));
  g_assert_cmpint (kind, ==, MCU_VIDEO_LAYOUT_1P12);
  g_assert_cmpstr (mcu_video_layout_name (MCU_VIDEO_LAYOUT_5X5), ==, "5x5");
  g_assert_false (mcu_video_layout_parse ("6x6", &kind));
  g_assert_false (mcu_video_layout_parse (NULL, &kind));
  g_assert_cmpint (mcu_video_layout_auto (1), ==, MCU_VIDEO_LAYOUT_1X1);
  g_assert_cmpint (mcu_video_layout_auto (3), ==, MCU_VIDEO_LAYOUT_2X2);
  g_assert_cmpint (mcu_video_layout_auto (6), ==, MCU_VIDEO_LAYOUT_1P5);
  g_assert_cmpint (mcu_video_layout_auto (16), ==, MCU_VIDEO_LAYOUT_4X4);
  g_assert_cmpint (mcu_video_layout_auto (21), ==, MCU_VIDEO_LAYOUT_5X5);
  g_assert_cmpint (mcu_video_layout_auto (100), ==, MCU_VIDEO_LAYOUT_1P12);
}

static const guint ids[] = { 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 };

static void
test_seating (void)
{
  McuVideoSeats seats;
  McuVideoSeating s = { .kind = MCU_VIDEO_LAYOUT_1P5, .site_ids = ids, .n_sites = 4 };

  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpuint (seats.n_tiles, ==, 6);
  g_assert_cmpuint (seats.tiles[0].site_id, ==, 11);
  g_assert_cmpuint (seats.tiles[4].site_id, ==, 0);
  /* The talker takes the main tile; the others keep join order. */
  s.main_talker = 13;
  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpuint (seats.tiles[0].site_id, ==, 13);
  g_assert_cmpuint (seats.tiles[1].site_id, ==, 11);
  g_assert_cmpuint (seats.tiles[3].site_id, ==, 14);
  /* Pins come next, then the rest; an unknown talker is ignored. */
  const guint pins[] = { 14, 99 };
  s.pins = pins;
  s.n_pins = 2;
  s.main_talker = 77;
  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpuint (seats.tiles[0].site_id, ==, 14);
  g_assert_cmpuint (seats.tiles[1].site_id, ==, 11);
  /* Presentation: content of 12 in the main tile, camera of 12 still seated. */
  s.presenter = 12;
  s.kind = MCU_VIDEO_LAYOUT_2X2;
  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpint (seats.kind, ==, MCU_VIDEO_LAYOUT_1P7);
  g_assert_true (seats.tiles[0].content);
  g_assert_cmpuint (seats.tiles[0].site_id, ==, 12);
  g_assert_cmpuint (seats.tiles[1].site_id, ==, 14);
  gboolean camera_12 = FALSE;
  for (guint i = 1; i < seats.n_tiles; i++)
    camera_12 |= seats.tiles[i].site_id == 12 && !seats.tiles[i].content;
  g_assert_true (camera_12);
}

static void
test_rotation (void)
{
  McuVideoSeats seats;
  const guint pins[] = { 20 };
  McuVideoSeating s = { .kind = MCU_VIDEO_LAYOUT_2X2, .site_ids = ids, .n_sites = 10,
                        .main_talker = 15, .pins = pins, .n_pins = 1 };

  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpuint (seats.n_rotating, ==, 8);
  g_assert_cmpuint (seats.n_rotating_tiles, ==, 2);
  g_assert_cmpuint (seats.tiles[0].site_id, ==, 15);
  g_assert_cmpuint (seats.tiles[1].site_id, ==, 20);
  g_assert_cmpuint (seats.tiles[2].site_id, ==, 11);
  g_assert_cmpuint (seats.tiles[3].site_id, ==, 12);
  s.rotation = 7; /* wraps around the 8 others */
  mcu_video_layout_seat (&s, &seats);
  g_assert_cmpuint (seats.tiles[2].site_id, ==, 19);
  g_assert_cmpuint (seats.tiles[3].site_id, ==, 11);
}

static void
test_talker_hold (void)
{
  McuVideoTalker t = { 0 };
  const gint64 hold = 2000000;

  g_assert_true (mcu_video_talker_request (&t, 5, 1000, hold));
  g_assert_cmpuint (t.current, ==, 5);
  g_assert_false (mcu_video_talker_request (&t, 6, 500000, hold)); /* too soon: held */
  g_assert_cmpuint (t.current, ==, 5);
  g_assert_false (mcu_video_talker_request (&t, 0, 600000, hold)); /* silence: keep */
  g_assert_false (mcu_video_talker_request (&t, 7, 700000, hold));
  g_assert_false (mcu_video_talker_tick (&t, 1900000, hold));
  g_assert_true (mcu_video_talker_tick (&t, 2001000, hold));
  g_assert_cmpuint (t.current, ==, 7); /* the latest request wins once the hold expired */
  g_assert_false (mcu_video_talker_request (&t, 7, 2100000, hold));
}

static void
test_labels_vietnamese (void)
{
  g_autoptr (McuVideoLabel) a = mcu_video_label_render ("UBND xã Thạch Khoán", NULL, 20, 400);
  g_autoptr (McuVideoLabel) b = mcu_video_label_render ("Trường THCS Mạo Khê II", NULL, 20, 400);
  g_autoptr (McuVideoLabel) c = mcu_video_label_render ("UBND xa Thach Khoan", NULL, 20, 400);
  g_autoptr (McuVideoLabel) marked = mcu_video_label_render ("UBND xã Thạch Khoán", "không có hình", 20, 400);
  g_autoptr (McuVideoLabel) bad = mcu_video_label_render ("\xff\xfe broken", NULL, 20, 400);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_nonnull (bad);
  g_assert_cmpuint (a->unknown_glyphs, ==, 0);
  g_assert_cmpuint (b->unknown_glyphs, ==, 0);
  g_assert_cmpuint (mcu_video_label_count_opaque (a, 200), >, 200); /* text pixels are opaque white */
  g_assert_true (a->width != b->width || memcmp (a->a, b->a, (gsize) a->width * a->height) != 0);
  /* Diacritics add ink: the same name without them differs. */
  g_assert_true (a->width != c->width || a->height != c->height ||
                 memcmp (a->a, c->a, (gsize) a->width * a->height) != 0);
  g_assert_cmpint (marked->height, >, a->height);
  g_assert_true (a->width % 2 == 0 && a->height % 2 == 0);
  /* Ellipsized into a narrow tile, and nothing when there is no room at all. */
  g_autoptr (McuVideoLabel) narrow = mcu_video_label_render ("Trường THCS Mạo Khê II", NULL, 20, 60);
  g_assert_cmpint (narrow->width, <=, 60);
  g_assert_null (mcu_video_label_render ("x", NULL, 2, 400));
}

static void
test_label_blend (void)
{
  g_autoptr (McuVideoLabel) a = mcu_video_label_render ("UBND xã Thạch Khoán", NULL, 16, 300);
  gint w = 320, h = 180;
  g_autofree guint8 *y = g_malloc ((gsize) w * h), *u = g_malloc ((gsize) w * h / 4), *v = g_malloc ((gsize) w * h / 4);
  guint8 *planes[3] = { y, u, v };
  gint strides[3] = { w, w / 2, w / 2 };

  memset (y, 16, (gsize) w * h);
  memset (u, 128, (gsize) w * h / 4);
  memset (v, 128, (gsize) w * h / 4);
  /* Clipped at every edge: must not write outside the clip rectangle. */
  mcu_video_label_blend (a, planes, strides, 300, 170, 0, 0, 310, 176);
  mcu_video_label_blend (a, planes, strides, -40, -6, 0, 0, w, h);
  mcu_video_label_blend (a, planes, strides, 10, 100, 0, 0, w, h);
  guint bright = 0;
  for (gint i = 0; i < w * h; i++)
    bright += y[i] > 200;
  g_assert_cmpuint (bright, >, 100);
  for (gint yy = 0; yy < h; yy++)
    for (gint xx = 310; xx < w; xx++)
      g_assert_cmpint (y[yy * w + xx], ==, 16);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint k = MCU_VIDEO_LAYOUT_1X1; k < MCU_VIDEO_LAYOUT_N_KINDS; k++) {
    g_autofree char *path = g_strdup_printf ("/video/layout/geometry/%s", mcu_video_layout_name (k));
    g_test_add_data_func (path, GUINT_TO_POINTER (k), test_geometry);
  }
  g_test_add_func ("/video/layout/exact-ratio", test_exact_ratio);
  g_test_add_func ("/video/layout/parse-auto", test_parse_auto);
  g_test_add_func ("/video/layout/seating", test_seating);
  g_test_add_func ("/video/layout/rotation", test_rotation);
  g_test_add_func ("/video/layout/talker-hold", test_talker_hold);
  g_test_add_func ("/video/label/vietnamese", test_labels_vietnamese);
  g_test_add_func ("/video/label/blend", test_label_blend);
  return g_test_run ();
}
