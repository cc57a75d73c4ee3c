#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

#include "AtomicRename.h"

int bonsai_rename_exchange(const char *first, const char *second) {
  return renameat2(AT_FDCWD, first, AT_FDCWD, second, RENAME_EXCHANGE);
}

int bonsai_rename_noreplace(const char *source, const char *destination) {
  return renameat2(AT_FDCWD, source, AT_FDCWD, destination, RENAME_NOREPLACE);
}
