#define _GNU_SOURCE
#include "SignalCleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/// What a slot holds.
enum { SLOT_FREE = 0, SLOT_FILE = 1, SLOT_FOLDER = 2 };

static char paths[BONSAI_CLEANUP_SLOTS][PATH_MAX];
/// The marker file a registered folder must hold to be removed.
static char markers[BONSAI_CLEANUP_SLOTS][NAME_MAX + 1];
/// What the slot holds (SLOT_*).
static int used[BONSAI_CLEANUP_SLOTS];
/// Set by a handler before it reads the slots, never cleared: the process is ending.
static int cleaning;
/// The thread that installed the handlers (the main thread): termination signals are
/// handled there, where `bonsai_cleanup_hold_signals` holds them.
static pid_t main_thread;
static char bus_text[1024];
static size_t bus_length;

/// Folders nested deeper than this inside a registered folder are left (and so is it).
enum { DEEPEST_FOLDER = 32 };

/// The entries of a getdents64 buffer (the glibc wrapper is not async-signal-safe).
struct linux_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/// Removes everything inside the open folder `folder` but the entry `kept` (NULL for none):
/// links themselves, never what they point to; sub-folders on the device `device`, up to
/// `depth` levels down. Reads it again from the start after every pass that removed
/// something, so that no file system's ordering of a changing folder can hide an entry.
/// Returns 0 when nothing else is left.
static int empty_folder(int folder, dev_t device, int depth, const char *kept) {
  char buffer[1024] __attribute__((aligned(8)));
  for (int pass = 0; pass < 64; pass++) {
    if (lseek(folder, 0, SEEK_SET) != 0) return -1;
    int left = 0, removed = 0;
    for (;;) {
      long count = syscall(SYS_getdents64, folder, buffer, sizeof buffer);
      if (count < 0) return -1;
      if (count == 0) break;
      for (long offset = 0; offset < count;) {
        struct linux_dirent64 *entry = (struct linux_dirent64 *)(buffer + offset);
        offset += entry->d_reclen;
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
        if (kept && strcmp(name, kept) == 0) continue;
        unsigned char type = entry->d_type;
        if (type == DT_UNKNOWN) {
          struct stat status;
          if (fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno != ENOENT) left++;
            continue;
          }
          type = S_ISDIR(status.st_mode) ? DT_DIR : DT_REG;
        }
        int gone;
        if (type == DT_DIR) {
          int inner = depth > 0 ? openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
          struct stat status;
          int emptied = inner >= 0 && fstat(inner, &status) == 0 && status.st_dev == device
            && empty_folder(inner, device, depth - 1, NULL) == 0;
          if (inner >= 0) close(inner);
          gone = emptied && (unlinkat(folder, name, AT_REMOVEDIR) == 0 || errno == ENOENT);
        } else {
          gone = unlinkat(folder, name, 0) == 0 || errno == ENOENT;
        }
        if (gone) {
          removed++;
        } else {
          left++;
        }
      }
    }
    if (left == 0) return 0;
    if (removed == 0) return -1;
  }
  return -1;
}

int bonsai_cleanup_remove_marked_folder(const char *path, const char *marker) {
  int folder = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (folder < 0) return -1;
  struct stat status;
  int marked = fstatat(folder, marker, &status, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(status.st_mode);
  struct stat own;
  // The marker goes last: a folder that cannot be emptied keeps it, so that the next run
  // still knows it for a leftover and removes it.
  int emptied = marked && fstat(folder, &own) == 0
    && empty_folder(folder, own.st_dev, DEEPEST_FOLDER, marker) == 0
    && unlinkat(folder, marker, 0) == 0;
  int result = -1;
  if (emptied) {
    result = rmdir(path);
    if (result != 0) {
      // Something appeared meanwhile: mark the folder again.
      int again = openat(folder, marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (again >= 0) close(again);
    }
  }
  close(folder);
  return result;
}

/// Signals that end the process: a user's, a closed pipe's (SIGPIPE, as `bonsai … | head`
/// does), and the file-size limit's (SIGXFSZ).
static const int termination_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ};

/// Removes the registered files, then the registered folders. Says first that it runs
/// (`cleaning`), so that `bonsai_cleanup_remove` either sees that or has freed its slot
/// before the slots are read.
static void remove_registered(void) {
  __atomic_store_n(&cleaning, 1, __ATOMIC_SEQ_CST);
  for (int slot = 0; slot < BONSAI_CLEANUP_SLOTS; slot++) {
    if (__atomic_load_n(&used[slot], __ATOMIC_SEQ_CST) == SLOT_FILE) unlink(paths[slot]);
  }
  for (int slot = 0; slot < BONSAI_CLEANUP_SLOTS; slot++) {
    if (__atomic_load_n(&used[slot], __ATOMIC_SEQ_CST) == SLOT_FOLDER)
      bonsai_cleanup_remove_marked_folder(paths[slot], markers[slot]);
  }
}

static void on_termination(int signal_number) {
  if (syscall(SYS_gettid) != main_thread) {
    // Threads started before the handlers were installed (OpenBLAS's) do not hold these
    // signals: pass it on to the main thread, where a hold takes effect.
    int saved = errno;
    syscall(SYS_tgkill, getpid(), main_thread, signal_number);
    errno = saved;
    return;
  }
  remove_registered();
  // Die of the same signal, so that the parent sees how the run ended.
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, NULL);
  raise(signal_number);
}

static void on_bus_error(int signal_number) {
  (void)signal_number;
  remove_registered();
  size_t offset = 0;
  while (offset < bus_length) {
    ssize_t written = write(STDERR_FILENO, bus_text + offset, bus_length - offset);
    if (written > 0) {
      offset += (size_t)written;
    } else if (written < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  _exit(1);
}

/// Blocks (or unblocks) the termination signals in the calling thread.
static void block_termination_signals(int block) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof termination_signals / sizeof *termination_signals; i++) {
    sigaddset(&set, termination_signals[i]);
  }
  pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/// How many holds are open on the main thread (the only one that holds).
static int holds;

void bonsai_cleanup_hold_signals(int hold) {
  if (main_thread == 0 || syscall(SYS_gettid) != main_thread) return;
  if (hold) {
    if (holds++ == 0) block_termination_signals(1);
  } else if (holds > 0 && --holds == 0) {
    block_termination_signals(0);
  }
}

int bonsai_cleanup_install(const char *bus_message) {
  main_thread = (pid_t)syscall(SYS_gettid);
  bus_length = strnlen(bus_message, sizeof bus_text - 1);
  memcpy(bus_text, bus_message, bus_length);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < sizeof termination_signals / sizeof *termination_signals; i++) {
    sigaddset(&action.sa_mask, termination_signals[i]);
  }
  action.sa_handler = on_termination;
  for (size_t i = 0; i < sizeof termination_signals / sizeof *termination_signals; i++) {
    struct sigaction previous;
    if (sigaction(termination_signals[i], NULL, &previous) != 0) return -1;
    // A signal ignored on entry (nohup, a background job) stays ignored.
    if (previous.sa_handler == SIG_IGN) continue;
    if (sigaction(termination_signals[i], &action, NULL) != 0) return -1;
  }
  // A mask inherited from the parent (threads of a test runner block these) would hold
  // the signals pending until the run ends; every thread started later inherits this one.
  block_termination_signals(0);
  action.sa_handler = on_bus_error;
  return sigaction(SIGBUS, &action, NULL);
}

/// Takes a free slot for `path` (and `marker`, for a folder) of kind `kind`.
static int add(const char *path, const char *marker, int kind) {
  size_t length = strlen(path);
  size_t marker_length = marker ? strlen(marker) : 0;
  if (length >= PATH_MAX || marker_length > NAME_MAX) return -1;
  for (int slot = 0; slot < BONSAI_CLEANUP_SLOTS; slot++) {
    if (__atomic_load_n(&used[slot], __ATOMIC_SEQ_CST) == SLOT_FREE) {
      // Filled, then published: a handler never reads a half-written path.
      memcpy(paths[slot], path, length + 1);
      if (marker) memcpy(markers[slot], marker, marker_length + 1);
      __atomic_store_n(&used[slot], kind, __ATOMIC_SEQ_CST);
      return slot;
    }
  }
  return -1;
}

int bonsai_cleanup_add(const char *path) { return add(path, NULL, SLOT_FILE); }

int bonsai_cleanup_add_folder(const char *path, const char *marker) {
  return add(path, marker, SLOT_FOLDER);
}

void bonsai_cleanup_remove(int slot) {
  if (slot >= 0 && slot < BONSAI_CLEANUP_SLOTS)
    __atomic_store_n(&used[slot], SLOT_FREE, __ATOMIC_SEQ_CST);
  // A handler that started before the slot was freed may still be removing its path (or
  // read it while the slot is filled again): it ends the process, so wait for that rather
  // than go on with the path.
  while (__atomic_load_n(&cleaning, __ATOMIC_SEQ_CST)) {
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
}
