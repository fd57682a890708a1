/* SPDX-License-Identifier: MIT */
/*
 * Compositing with libyuv. Cameras fill their tile (the source is cropped to the tile's aspect, centred)
 * so a 16:9 camera in a 16:9 tile is an exact-ratio scale (2:1 from 640x360 to 320x180 is libyuv's fast
 * path); content is letterboxed so no slide text is cut off. Threads: the canvas owner's thread only.
 */
#define G_LOG_DOMAIN "mcu-video"

#include "video-compose.h"

#include <libyuv.h>
#include <string.h>

/* Background and placeholder colours (BT.601 limited range). */
#define BG_Y 16
#define BG_U 128
#define BG_V 128
#define PLACEHOLDER_Y 52
#define PLACEHOLDER_U 140
#define PLACEHOLDER_V 118

McuVideoCanvas *
mcu_video_canvas_new (gint width, gint height)
{
  McuVideoCanvas *canvas = g_new0 (McuVideoCanvas, 1);
  gsize luma = (gsize) width * height;

  canvas->width = width & ~1;
  canvas->height = height & ~1;
  canvas->memory = g_malloc (luma + luma / 2);
  canvas->planes[0] = canvas->memory;
  canvas->planes[1] = canvas->memory + luma;
  canvas->planes[2] = canvas->memory + luma + luma / 4;
  canvas->strides[0] = canvas->width;
  canvas->strides[1] = canvas->strides[2] = canvas->width / 2;
  mcu_video_canvas_fill (canvas, &(McuVideoRect) { 0, 0, canvas->width, canvas->height }, BG_Y, BG_U,
                         BG_V);
  return canvas;
}

void
mcu_video_canvas_free (McuVideoCanvas *canvas)
{
  if (canvas == NULL)
    return;
  g_free (canvas->memory);
  g_free (canvas);
}

void
mcu_video_canvas_fill (McuVideoCanvas *c, const McuVideoRect *r, guint8 y, guint8 u, guint8 v)
{
  SetPlane (c->planes[0] + (gsize) r->y * c->strides[0] + r->x, c->strides[0], r->width, r->height, y);
  gsize off = (gsize) (r->y / 2) * c->strides[1] + r->x / 2;
  SetPlane (c->planes[1] + off, c->strides[1], r->width / 2, r->height / 2, u);
  SetPlane (c->planes[2] + off, c->strides[2], r->width / 2, r->height / 2, v);
}

void
mcu_video_canvas_scale (const McuVideoCanvas *src, McuVideoCanvas *dst)
{
  I420Scale (src->planes[0], src->strides[0], src->planes[1], src->strides[1], src->planes[2], src->strides[2],
             src->width, src->height, dst->planes[0], dst->strides[0], dst->planes[1], dst->strides[1],
             dst->planes[2], dst->strides[2], dst->width, dst->height, kFilterBox);
}

static void
scale_into (McuVideoCanvas *c, const McuVideoPicture *p, gint sx, gint sy, gint sw, gint sh,
            const McuVideoRect *d)
{
  gsize off_y = (gsize) sy * p->strides[0] + sx;
  gsize off_u = (gsize) (sy / 2) * p->strides[1] + sx / 2;
  gsize off_v = (gsize) (sy / 2) * p->strides[2] + sx / 2;
  gsize dst_y = (gsize) d->y * c->strides[0] + d->x;
  gsize dst_uv = (gsize) (d->y / 2) * c->strides[1] + d->x / 2;

  I420Scale (p->planes[0] + off_y, p->strides[0], p->planes[1] + off_u, p->strides[1],
             p->planes[2] + off_v, p->strides[2], sw, sh, c->planes[0] + dst_y, c->strides[0],
             c->planes[1] + dst_uv, c->strides[1], c->planes[2] + dst_uv, c->strides[2], d->width,
             d->height, kFilterBilinear);
}

/* Crops the picture to the tile's aspect ratio (centred) and scales it to fill the tile. */
static void
draw_fill (McuVideoCanvas *c, const McuVideoPicture *p, const McuVideoRect *r)
{
  gint sw = p->width & ~1, sh = p->height & ~1;

  if ((gint64) sw * r->height > (gint64) r->width * sh)
    sw = (gint) ((gint64) sh * r->width / r->height) & ~1;
  else
    sh = (gint) ((gint64) sw * r->height / r->width) & ~1;
  if (sw < 2 || sh < 2)
    return;
  scale_into (c, p, ((p->width - sw) / 2) & ~1, ((p->height - sh) / 2) & ~1, sw, sh, r);
}

/* Scales the whole picture to fit inside the tile (bars on two sides). */
static void
draw_fit (McuVideoCanvas *c, const McuVideoPicture *p, const McuVideoRect *r)
{
  McuVideoRect d = *r;

  if ((gint64) p->width * r->height > (gint64) r->width * p->height)
    d.height = (gint) ((gint64) r->width * p->height / p->width) & ~1;
  else
    d.width = (gint) ((gint64) r->height * p->width / p->height) & ~1;
  if (d.width < 2 || d.height < 2)
    return;
  d.x += ((r->width - d.width) / 2) & ~1;
  d.y += ((r->height - d.height) / 2) & ~1;
  scale_into (c, p, 0, 0, p->width & ~1, p->height & ~1, &d);
}

static void
draw_label (McuVideoCanvas *c, const McuVideoTileDraw *t)
{
  const McuVideoLabel *l = t->label;
  const McuVideoRect *r = &t->rect;
  gint x, y;

  if (t->kind == MCU_VIDEO_TILE_PLACEHOLDER) {
    x = r->x + ((r->width - l->width) / 2 & ~1);
    y = r->y + ((r->height - l->height) / 2 & ~1);
  } else {
    x = r->x + (MAX (2, r->width / 64) & ~1);
    y = r->y + ((r->height - l->height - MAX (2, r->height / 36)) & ~1);
  }
  mcu_video_label_blend (l, c->planes, c->strides, MAX (x, r->x), MAX (y, r->y), r->x, r->y, r->width,
                         r->height);
}

/* A thin dark line on a tile's right and bottom edges (not at the canvas edge) keeps tiles apart. */
static void
draw_separator (McuVideoCanvas *c, const McuVideoRect *r)
{
  gint line = c->width >= 960 ? 2 : 0;

  if (line == 0)
    return;
  if (r->x + r->width < c->width)
    mcu_video_canvas_fill (c, &(McuVideoRect) { r->x + r->width - line, r->y, line, r->height }, BG_Y, BG_U, BG_V);
  if (r->y + r->height < c->height)
    mcu_video_canvas_fill (c, &(McuVideoRect) { r->x, r->y + r->height - line, r->width, line }, BG_Y, BG_U, BG_V);
}

void
mcu_video_compose (McuVideoCanvas *c, const McuVideoTileDraw *tiles, guint n)
{
  mcu_video_canvas_fill (c, &(McuVideoRect) { 0, 0, c->width, c->height }, BG_Y, BG_U, BG_V);
  for (guint i = 0; i < n; i++) {
    const McuVideoTileDraw *t = &tiles[i];
    if (t->rect.width < 2 || t->rect.height < 2 || t->rect.x + t->rect.width > c->width ||
        t->rect.y + t->rect.height > c->height)
      continue;
    if (t->kind == MCU_VIDEO_TILE_PICTURE && t->picture.width >= 2)
      draw_fill (c, &t->picture, &t->rect);
    else if (t->kind == MCU_VIDEO_TILE_CONTENT && t->picture.width >= 2)
      draw_fit (c, &t->picture, &t->rect);
    else if (t->kind != MCU_VIDEO_TILE_EMPTY)
      mcu_video_canvas_fill (c, &t->rect, PLACEHOLDER_Y, PLACEHOLDER_U, PLACEHOLDER_V);
    if (t->label != NULL && t->kind != MCU_VIDEO_TILE_EMPTY)
      draw_label (c, t);
    draw_separator (c, &t->rect);
  }
}
