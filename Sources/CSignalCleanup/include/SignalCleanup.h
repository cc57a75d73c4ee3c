// Removing unfinished output files and folders when bonsai is stopped by a signal. A signal
// handler may only call async-signal-safe functions (unlink, openat, unlinkat, write, _exit,
// raise; and the getdents64, gettid and tgkill system calls), and the paths it removes must
// be readable without locks or allocation: they live here, in fixed slots, copied in before
// the files or folders are created and cleared before they are renamed into place (files
// may be cleared after: a handler that finds one renamed removes nothing). Termination
// signals are handled on the thread that installed the handlers: another thread that
// receives one passes it on. Only the bonsai executable installs these handlers; the
// libraries install none.

#ifndef BONSAI_SIGNAL_CLEANUP_H
#define BONSAI_SIGNAL_CLEANUP_H

/// How many paths can be registered at once.
#define BONSAI_CLEANUP_SLOTS 64

/// Installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE and SIGXFSZ (remove the
/// registered files and folders, then die of the signal, as without a handler; on the
/// calling thread, to which other threads pass them on) unless they are ignored on entry,
/// and unblocks them in the calling thread; and for SIGBUS (remove the registered files and
/// folders, write `bus_message` to stderr, exit with status 1). `bus_message` is copied (at most 1023
/// bytes). Returns 0, or -1 with errno set when sigaction fails.
int bonsai_cleanup_install(const char *bus_message);

/// Registers `path` for removal on those signals. Returns the slot (pass it to
/// bonsai_cleanup_remove), or -1 when every slot is taken or the path is too long.
int bonsai_cleanup_add(const char *path);

/// Registers the folder `path`, being built, for removal with everything in it on those
/// signals — only while it holds a regular file named `marker`, and never following a link.
/// Returns the slot, or -1 as above. Free the slot before the folder is renamed into place.
int bonsai_cleanup_add_folder(const char *path, const char *marker);

/// What the handlers do to a registered folder, now: removes the folder `path` with
/// everything in it if it holds a regular file named `marker` — links themselves, never
/// what they point to, nor another file system mounted inside; folders nested more than 32
/// deep are left, and so are the folders above them and the marker. Async-signal-safe.
/// Returns 0 when the folder is gone, -1 otherwise.
int bonsai_cleanup_remove_marked_folder(const char *path, const char *marker);

/// Forgets the path in `slot` (a no-op for -1), once no handler can be removing it: when a
/// handler on another thread already is, waits for it to end the process.
void bonsai_cleanup_remove(int slot);

/// Holds the termination signals on the main thread (hold != 0) until called with 0, when
/// any that arrived meanwhile take effect: a step that must not be cut in two, such as
/// renaming several outputs into place, runs between the two calls. Holds nest: the signals
/// take effect when the outermost ends. A no-op on other threads and before install.
void bonsai_cleanup_hold_signals(int hold);

#endif
