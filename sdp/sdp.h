/* SPDX-License-Identifier: MIT */
/*
 * SDP (RFC 8866) model, parser and writer — the umbrella header of libmcu-sdp (GLib only).
 *
 * A McuSdp is an ordered list of sections (the session, then one per m= line), each an ordered list of
 * lines, so what is parsed is written back line for line. Accessors read it; the few builder functions
 * let the negotiation code (and callers) compose descriptions. Negotiation is in sdp-negotiate.h,
 * trickle-ICE fragments in sdp-fragment.h.
 *
 * Threads: a McuSdp has no locks. Parse and build it on one thread; once built it is only read, and
 * reading (and mcu_sdp_ref/unref) from several threads at once is safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MCU_SDP_ERROR (mcu_sdp_error_quark ())
GQuark mcu_sdp_error_quark (void);

typedef enum {
  MCU_SDP_ERROR_SYNTAX,      /* not SDP: bad line, bad number, truncated field, NUL byte, bad UTF-8 */
  MCU_SDP_ERROR_TOO_LARGE,   /* over the size, line or section limits below */
  MCU_SDP_ERROR_MISSING,     /* something WebRTC needs is absent: fingerprint, ICE credentials, mid, ... */
  MCU_SDP_ERROR_INVALID,     /* well-formed but inconsistent: duplicate mid, BUNDLE naming no section, ... */
  MCU_SDP_ERROR_UNSUPPORTED, /* nothing the MCU can use: no Opus audio, no rtcp-mux, no sha-256, ... */
  MCU_SDP_ERROR_MISMATCH,    /* an answer that does not fit its offer */
} McuSdpError;

/* Limits that bound the parser's work on hostile input. */
#define MCU_SDP_MAX_SIZE (256 * 1024)
#define MCU_SDP_MAX_LINE 8192
#define MCU_SDP_MAX_LINES 8192
#define MCU_SDP_MAX_MEDIA 64

/* Index used for the session level in the attribute functions below. */
#define MCU_SDP_SESSION (-1)

typedef struct _McuSdp McuSdp;

/* Parses @text (@len bytes, or NUL-terminated if @len < 0). Lines may end in CRLF or LF. Errors are
 * MCU_SDP_ERROR with a message starting "line N: ". (transfer full) */
McuSdp *mcu_sdp_parse (const char *text, gssize len, GError **error);

/* Writes the description with CRLF line endings. (transfer full) */
char *mcu_sdp_to_string (const McuSdp *sdp);

McuSdp *mcu_sdp_ref (McuSdp *sdp);   /* (transfer full) */
void mcu_sdp_unref (McuSdp *sdp);

/* Reading. @media is an m= section index (0-based) or MCU_SDP_SESSION. Strings are (transfer none)
 * and live as long as @sdp. */
guint mcu_sdp_get_n_media (const McuSdp *sdp);
const char *mcu_sdp_media_get_type (const McuSdp *sdp, guint media);   /* "audio", "video", ... */
guint mcu_sdp_media_get_port (const McuSdp *sdp, guint media);
const char *mcu_sdp_media_get_proto (const McuSdp *sdp, guint media);
/* NULL-terminated list of the m= line's formats (payload types as text). (transfer none) */
const char *const *mcu_sdp_media_get_formats (const McuSdp *sdp, guint media);
/* Value of the first a=@name in the section ("" for a flag such as a=rtcp-mux), NULL if absent. */
const char *mcu_sdp_get_attribute (const McuSdp *sdp, int media, const char *name);
/* All attributes of a section in order: @i from 0 while it returns TRUE. @value is NULL for a flag. */
gboolean mcu_sdp_get_attribute_at (const McuSdp *sdp, int media, guint i,
                                   const char **name, const char **value);
/* Line number (1-based) in the parsed text of the first a=@name in the section, 0 if absent or built. */
guint mcu_sdp_get_attribute_line (const McuSdp *sdp, int media, const char *name);
/* Line number of the m= line of @media (0 for a built description). */
guint mcu_sdp_media_get_line (const McuSdp *sdp, guint media);

/* Building. mcu_sdp_new() starts a description with v=, o= (random session id), s=- and t=0 0. */
McuSdp *mcu_sdp_new (void);   /* (transfer full) */
/* Appends an m= section; returns its index. @formats is the space-separated format list. */
guint mcu_sdp_add_media (McuSdp *sdp, const char *type, guint port, const char *proto,
                         const char *formats);
/* Appends a=@name[:@value] (@value NULL for a flag) to the session (MCU_SDP_SESSION) or an m= section. */
void mcu_sdp_add_attribute (McuSdp *sdp, int media, const char *name, const char *value);
/* Appends another line type (c=, b=, ...): @type is the letter, @value what follows '='. */
void mcu_sdp_add_line (McuSdp *sdp, int media, char type, const char *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (McuSdp, mcu_sdp_unref)

G_END_DECLS

#include "sdp-negotiate.h"
#include "sdp-fragment.h"
