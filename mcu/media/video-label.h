/* SPDX-License-Identifier: MIT */
/*
 * Tile labels: a site's name (and optionally a mark such as "no video") rendered once with Pango into
 * I420 planes with an alpha plane, then blended onto tiles every frame without further rendering.
 * Threads: render on the video thread (Pango's cairo font map is per thread); blend from any thread
 * (a label is immutable once rendered).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gint width, height; /* even */
  guint8 *y, *u, *v;  /* I420, strides width and width / 2 */
  guint8 *a;          /* alpha, width x height */
  guint8 *a_uv;       /* alpha subsampled, (width / 2) x (height / 2) */
  gint font_px;
  gint max_width;
  guint unknown_glyphs; /* characters no installed font could draw (should be 0) */
} McuVideoLabel;

/* (transfer full) Renders @text (UTF-8; invalid bytes are replaced), with @mark (nullable) on a second
 * line, white on a translucent dark box, @font_px pixels high, ellipsized to at most @max_width pixels.
 * NULL when nothing fits (@max_width or @font_px too small). */
McuVideoLabel *mcu_video_label_render (const char *text, const char *mark, gint font_px, gint max_width);
void mcu_video_label_free (McuVideoLabel *label);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuVideoLabel, mcu_video_label_free)

/* Blends @label with its top-left corner at (@x, @y) of an I420 picture, clipped to the rectangle
 * (@clip_x, @clip_y, @clip_w, @clip_h); all even. No allocation. */
void mcu_video_label_blend (const McuVideoLabel *label, guint8 *const planes[3], const gint strides[3],
                            gint x, gint y, gint clip_x, gint clip_y, gint clip_w, gint clip_h);

/* Number of pixels with alpha above @threshold (for tests and sanity checks). */
gsize mcu_video_label_count_opaque (const McuVideoLabel *label, guint8 threshold);

G_END_DECLS
