/* platform.h: what whyalive needs from the operating system and the
 * compiler, not from CPython: a monotonic clock, huge-page advice for the
 * walk's big arrays, and bit helpers.  CPython version differences are in
 * compat.h; this header includes nothing of Python.
 */
#ifndef WHYALIVE_PLATFORM_H
#define WHYALIVE_PLATFORM_H

/* clock_gettime under -std=c11, in a file that does not include Python.h
 * (which asks for the same POSIX version) first. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

/* A walk fills arrays of hundreds of MB that it has just allocated: on
 * Linux, ask for transparent huge pages so that touching them costs one
 * page fault per 2 MiB instead of per 4 KiB.  Advice only; never fails. */
static inline void
platform_advise_huge_pages(void *start, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t first = ((uintptr_t)start + huge - 1) & ~(huge - 1);
    uintptr_t last = ((uintptr_t)start + size) & ~(huge - 1);
    if (size >= 2 * huge && last > first) {
        (void)madvise((void *)first, last - first, MADV_HUGEPAGE);
    }
#else
    (void)start;
    (void)size;
#endif
}

/* ------------------------------------------------------------------ */
/* Bits                                                                */
/* ------------------------------------------------------------------ */

/* The index of the lowest set bit of x, which is not 0. */
static inline unsigned int
platform_lowest_bit(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned int)__builtin_ctzll(x);
#else
    unsigned int i = 0;
    while (!(x & 1)) {
        x >>= 1;
        i++;
    }
    return i;
#endif
}

/* Asks the CPU to start loading the cache line at addr; a hint, no
 * fault if it is unmapped. */
#if defined(__GNUC__) || defined(__clang__)
#define platform_prefetch(addr) __builtin_prefetch(addr)
#else
#define platform_prefetch(addr) ((void)(addr))
#endif

/* ------------------------------------------------------------------ */
/* Clock                                                               */
/* ------------------------------------------------------------------ */

#if defined(_WIN32)
#include <windows.h>
static inline double
platform_monotonic(void)
{
    LARGE_INTEGER freq, now;
    QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart / (double)freq.QuadPart;
}
#else
#include <time.h>
static inline double
platform_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#endif

#endif /* WHYALIVE_PLATFORM_H */
