#define _GNU_SOURCE
#include "SignalCleanup.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static char paths[BONSAI_CLEANUP_SLOTS][PATH_MAX];
/// 1 when the slot holds a path to remove; written with release, read with acquire.
static int used[BONSAI_CLEANUP_SLOTS];
static char bus_text[1024];
static size_t bus_length;

/// Signals that end the process: a user's, a closed pipe's (SIGPIPE, as `bonsai … | head`
/// does), and the file-size limit's (SIGXFSZ).
static const int termination_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXFSZ};

static void remove_registered(void) {
  for (int slot = 0; slot < BONSAI_CLEANUP_SLOTS; slot++) {
    if (__atomic_load_n(&used[slot], __ATOMIC_ACQUIRE)) unlink(paths[slot]);
  }
}

static void on_termination(int signal_number) {
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

void bonsai_cleanup_hold_signals(int hold) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof termination_signals / sizeof *termination_signals; i++) {
    sigaddset(&set, termination_signals[i]);
  }
  pthread_sigmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int bonsai_cleanup_install(const char *bus_message) {
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
  bonsai_cleanup_hold_signals(0);
  action.sa_handler = on_bus_error;
  return sigaction(SIGBUS, &action, NULL);
}

int bonsai_cleanup_add(const char *path) {
  size_t length = strlen(path);
  if (length >= PATH_MAX) return -1;
  for (int slot = 0; slot < BONSAI_CLEANUP_SLOTS; slot++) {
    if (!__atomic_load_n(&used[slot], __ATOMIC_ACQUIRE)) {
      memcpy(paths[slot], path, length + 1);
      __atomic_store_n(&used[slot], 1, __ATOMIC_RELEASE);
      return slot;
    }
  }
  return -1;
}

void bonsai_cleanup_remove(int slot) {
  if (slot >= 0 && slot < BONSAI_CLEANUP_SLOTS) __atomic_store_n(&used[slot], 0, __ATOMIC_RELEASE);
}
