/* SPDX-License-Identifier: MIT */
/* Internal layout of McuSdp, shared by sdp.c (model, parser, writer) and sdp-negotiate.c. */
#pragma once

#include "sdp.h"

typedef struct {
  char type;     /* 'v', 'o', 'a', ... */
  char *name;    /* for a= lines: the attribute name; NULL for other types */
  char *value;   /* text after '=' (or after "name:" for a=); NULL for a flag attribute */
  guint line;    /* 1-based line number in the parsed text, 0 when built */
} SdpLine;

typedef struct {
  GArray *lines;       /* SdpLine; for a media section lines[0] is the m= line itself */
  char *type;          /* media sections: "audio", "video", "application", ... */
  guint port;
  char *proto;
  char **formats;
} SdpSection;

struct _McuSdp {
  gatomicrefcount ref;
  SdpSection session;
  GPtrArray *media;    /* SdpSection* */
};

/* The section for @media (MCU_SDP_SESSION or an index), NULL if out of range. */
const SdpSection *sdp_section (const McuSdp *sdp, int media);
