// renameat2(2) for Swift: glibc declares it only under _GNU_SOURCE, which Swift's Glibc
// module does not define.
#ifndef BONSAI_ATOMIC_RENAME_H
#define BONSAI_ATOMIC_RENAME_H

/// Swaps the paths `first` and `second`, both of which must exist (renameat2 with
/// RENAME_EXCHANGE). Returns 0, or -1 with errno set.
int bonsai_rename_exchange(const char *first, const char *second);

/// Renames `source` to `destination` unless `destination` exists (renameat2 with
/// RENAME_NOREPLACE; EEXIST then). Returns 0, or -1 with errno set.
int bonsai_rename_noreplace(const char *source, const char *destination);

#endif
