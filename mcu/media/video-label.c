/* SPDX-License-Identifier: MIT */
/*
 * Label rendering with Pango/cairo into an ARGB surface, converted once to I420 + alpha (libyuv), and
 * blending with libyuv's BlendPlane. The box behind the text keeps names readable on any picture.
 * Threads: mcu_video_label_render on the video thread; blending is read-only on the label.
 */
#define G_LOG_DOMAIN "mcu-video"

#include "video-label.h"

#include <libyuv.h>
#include <pango/pangocairo.h>
#include <string.h>

static PangoLayout *
make_layout (cairo_t *cr, const char *text, gint font_px, gint max_text_width)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string ("Sans Bold");

  pango_font_description_set_absolute_size (font, (double) font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_width (layout, max_text_width * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* Draws the box and the text into a new ARGB32 surface of even size. */
static cairo_surface_t *
draw (const char *text, gint font_px, gint max_width, guint *unknown)
{
  gint pad = MAX (2, font_px / 4);
  cairo_surface_t *probe = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (probe);
  PangoLayout *layout = make_layout (cr, text, font_px, max_width - 2 * pad);
  PangoRectangle ink, logical;

  pango_layout_get_pixel_extents (layout, &ink, &logical);
  *unknown = (guint) pango_layout_get_unknown_glyphs_count (layout);
  /* +2: pixel extents round down, and a layout exactly as wide as its text would ellipsize. */
  gint w = MIN (max_width, logical.width + 2 * pad + 2) & ~1;
  gint h = (logical.height + 2 * pad + 1) & ~1;
  pango_layout_set_width (layout, (w - 2 * pad) * PANGO_SCALE);
  cairo_destroy (cr);
  cairo_surface_destroy (probe);
  if (w < 2 || h < 2) {
    g_object_unref (layout);
    return NULL;
  }
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cr = cairo_create (surface);
  cairo_set_source_rgba (cr, 0.05, 0.08, 0.12, 0.65);
  cairo_paint (cr);
  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  cairo_move_to (cr, pad, pad);
  pango_cairo_update_layout (cr, layout);
  pango_cairo_show_layout (cr, layout);
  cairo_destroy (cr);
  g_object_unref (layout);
  cairo_surface_flush (surface);
  return surface;
}

McuVideoLabel *
mcu_video_label_render (const char *text, const char *mark, gint font_px, gint max_width)
{
  if (font_px < 4 || max_width < 16)
    return NULL;
  g_autofree char *valid = g_utf8_make_valid (text ? text : "", -1);
  g_autofree char *full = mark ? g_strdup_printf ("%s\n%s", valid, mark) : g_strdup (valid);
  guint unknown = 0;
  cairo_surface_t *surface = draw (full, font_px, max_width, &unknown);
  if (surface == NULL)
    return NULL;

  McuVideoLabel *label = g_new0 (McuVideoLabel, 1);
  gint w = cairo_image_surface_get_width (surface), h = cairo_image_surface_get_height (surface);
  gint stride = cairo_image_surface_get_stride (surface);
  guint8 *argb = cairo_image_surface_get_data (surface);

  label->width = w;
  label->height = h;
  label->font_px = font_px;
  label->max_width = max_width;
  label->unknown_glyphs = unknown;
  label->y = g_malloc ((gsize) w * h);
  label->u = g_malloc ((gsize) w * h / 4);
  label->v = g_malloc ((gsize) w * h / 4);
  label->a = g_malloc ((gsize) w * h);
  label->a_uv = g_malloc ((gsize) w * h / 4);
  /* cairo's ARGB32 is premultiplied, BGRA in memory on little endian: libyuv's "ARGB". */
  ARGBExtractAlpha (argb, stride, label->a, w, w, h);
  ARGBUnattenuate (argb, stride, argb, stride, w, h);
  ARGBToI420 (argb, stride, label->y, w, label->u, w / 2, label->v, w / 2, w, h);
  ScalePlane (label->a, w, w, h, label->a_uv, w / 2, w / 2, h / 2, kFilterBox);
  cairo_surface_destroy (surface);
  return label;
}

void
mcu_video_label_free (McuVideoLabel *label)
{
  if (label == NULL)
    return;
  g_free (label->y);
  g_free (label->u);
  g_free (label->v);
  g_free (label->a);
  g_free (label->a_uv);
  g_free (label);
}

void
mcu_video_label_blend (const McuVideoLabel *label, guint8 *const planes[3], const gint strides[3], gint x,
                       gint y, gint clip_x, gint clip_y, gint clip_w, gint clip_h)
{
  gint sx = MAX (0, clip_x - x) & ~1, sy = MAX (0, clip_y - y) & ~1;
  gint dx = x + sx, dy = y + sy;
  gint w = (MIN (x + label->width, clip_x + clip_w) - dx) & ~1;
  gint h = (MIN (y + label->height, clip_y + clip_h) - dy) & ~1;
  gint lw = label->width;

  if (w <= 0 || h <= 0 || (dx & 1) || (dy & 1))
    return;
  guint8 *dst_y = planes[0] + (gsize) dy * strides[0] + dx;
  BlendPlane (label->y + sy * lw + sx, lw, dst_y, strides[0], label->a + sy * lw + sx, lw, dst_y,
              strides[0], w, h);
  gsize off_uv = (gsize) (sy / 2) * (lw / 2) + sx / 2;
  for (guint p = 1; p < 3; p++) {
    guint8 *dst = planes[p] + (gsize) (dy / 2) * strides[p] + dx / 2;
    const guint8 *src = (p == 1 ? label->u : label->v) + off_uv;
    BlendPlane (src, lw / 2, dst, strides[p], label->a_uv + off_uv, lw / 2, dst, strides[p], w / 2, h / 2);
  }
}

gsize
mcu_video_label_count_opaque (const McuVideoLabel *label, guint8 threshold)
{
  gsize n = 0;

  for (gsize i = 0; i < (gsize) label->width * label->height; i++)
    n += label->a[i] > threshold;
  return n;
}
