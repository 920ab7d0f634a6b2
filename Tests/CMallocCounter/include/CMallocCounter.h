// Counts malloc-family calls per thread, for allocation tests. Linked only into the test
// binary, where its definitions of malloc & co. take the place of the C library's (which they
// call through glibc's __libc_* entry points).
#ifndef C_MALLOC_COUNTER_H
#define C_MALLOC_COUNTER_H

/// malloc, calloc, realloc and the aligned allocators called on this thread so far.
unsigned long long cel_thread_allocation_count(void);

/// 1 when this build counts allocations (0 under a sanitizer, which owns malloc).
int cel_allocation_counting_enabled(void);

#endif
