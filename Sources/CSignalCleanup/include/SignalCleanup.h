// Removing unfinished output files when bonsai is stopped by a signal. A signal handler may
// only call async-signal-safe functions (unlink, write, _exit, raise), and the paths it
// removes must be readable without locks or allocation: they live here, in fixed slots,
// copied in before the files are created and cleared after they are renamed into place.
// Only the bonsai executable installs these handlers; the libraries install none.

#ifndef BONSAI_SIGNAL_CLEANUP_H
#define BONSAI_SIGNAL_CLEANUP_H

/// How many paths can be registered at once.
#define BONSAI_CLEANUP_SLOTS 64

/// Installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGXFSZ (remove the
/// registered files,
/// then die of the signal, as without a handler) unless they are ignored on entry, and
/// unblocks them in the calling thread; and for SIGBUS (remove the registered files, write
/// `bus_message` to stderr, exit with status 1). `bus_message` is copied (at most 1023
/// bytes). Returns 0, or -1 with errno set when sigaction fails.
int bonsai_cleanup_install(const char *bus_message);

/// Registers `path` for removal on those signals. Returns the slot (pass it to
/// bonsai_cleanup_remove), or -1 when every slot is taken or the path is too long.
int bonsai_cleanup_add(const char *path);

/// Forgets the path in `slot` (a no-op for -1).
void bonsai_cleanup_remove(int slot);

/// Holds the termination signals in the calling thread (hold != 0) until called with 0,
/// when any that arrived meanwhile take effect: a step that must not be cut in two, such as
/// renaming several outputs into place, runs between the two calls.
void bonsai_cleanup_hold_signals(int hold);

#endif
