#ifndef HEAP_PROBE_H
#define HEAP_PROBE_H
#include <stddef.h>

/// Bytes glibc's malloc has handed out and not taken back, all arenas and mmapped blocks
/// included (mallinfo2: uordblks + hblkhd), chunk sizes, so allocator overhead counts.
size_t heap_probe_bytes_in_use(void);

#endif
