// fallocate(2) for Swift: glibc declares it only under _GNU_SOURCE, which Swift's Glibc
// module does not define.
#ifndef BONSAI_FILE_SPACE_H
#define BONSAI_FILE_SPACE_H

/// Allocates the blocks of the first `length` bytes of the open file `fd` without changing
/// its size (fallocate with FALLOC_FL_KEEP_SIZE). Returns 0, or -1 with errno set
/// (EOPNOTSUPP on a file system that cannot, ENOSPC when the disk is full).
int bonsai_reserve_file_space(int fd, long long length);

#endif
