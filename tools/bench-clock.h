/* SPDX-License-Identifier: MIT */
/*
 * The benchmarks' CPU clock: the calling thread's CPU time in ns (what a loop under test cost,
 * whatever else the machine runs). Header-only; any thread.
 */
#pragma once

#include <time.h>

static inline double
bench_thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}
