// What the test support's process spawning needs from glibc that Swift's Glibc module does
// not export (they are behind _GNU_SOURCE): a pipe made close-on-exec at birth, and a spawn
// file action that closes every descriptor from a number on in the child.
#ifndef C_TEST_SPAWN_H
#define C_TEST_SPAWN_H

#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): 0, or -1 with errno set.
int cts_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np(actions, from): 0 or an errno value.
int cts_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from);

#endif
