/* SPDX-License-Identifier: MIT */
/*
 * Compositing onto an I420 canvas: tiles scaled with libyuv (cropped to fill, or letterboxed for
 * content), plain placeholder tiles, labels blended on top. Threads: the tier's thread that owns the
 * canvas; the pictures and labels read are not modified while it runs (the mixer guarantees it).
 */
#pragma once

#include <glib.h>

#include "video-label.h"
#include "video-layout.h"

G_BEGIN_DECLS

typedef struct {
  gint width, height;
  guint8 *planes[3];
  gint strides[3];
  guint8 *memory;
} McuVideoCanvas;

/* A read-only I420 picture (for example a decoder's output image). */
typedef struct {
  const guint8 *planes[3];
  gint strides[3];
  gint width, height;
} McuVideoPicture;

typedef enum {
  MCU_VIDEO_TILE_EMPTY,       /* background only */
  MCU_VIDEO_TILE_PICTURE,     /* picture scaled to fill (cropped), label at the bottom */
  MCU_VIDEO_TILE_CONTENT,     /* picture letterboxed, label at the bottom */
  MCU_VIDEO_TILE_PLACEHOLDER, /* plain background, label centred */
} McuVideoTileKind;

typedef struct {
  McuVideoTileKind kind;
  McuVideoRect rect;
  McuVideoPicture picture;     /* PICTURE and CONTENT */
  const McuVideoLabel *label;  /* nullable */
  /* Not drawn, for the mixer's latency figures: the picture's number (0: none) and when the packet
   * that completed its frame arrived (monotonic µs). */
  guint64 serial;
  gint64 arrival_us;
} McuVideoTileDraw;

/* (transfer full) A canvas of @width x @height (even), filled with the background. */
McuVideoCanvas *mcu_video_canvas_new (gint width, gint height);
void mcu_video_canvas_free (McuVideoCanvas *canvas);

/* Draws @n tiles over a fresh background. No allocation. */
void mcu_video_compose (McuVideoCanvas *canvas, const McuVideoTileDraw *tiles, guint n);

/* Scales the whole of @src into the whole of @dst (box filter: 2:1 and 4:1 are libyuv fast paths). */
void mcu_video_canvas_scale (const McuVideoCanvas *src, McuVideoCanvas *dst);

/* Fills @rect with the colour (@y, @u, @v). */
void mcu_video_canvas_fill (McuVideoCanvas *canvas, const McuVideoRect *rect, guint8 y, guint8 u, guint8 v);

G_END_DECLS
