#define _GNU_SOURCE
#include "FileSpace.h"

#include <errno.h>
#include <fcntl.h>

int bonsai_reserve_file_space(int fd, long long length) {
#if defined(__linux__)
  return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length);
#else
  (void)fd;
  (void)length;
  errno = EOPNOTSUPP;
  return -1;
#endif
}
