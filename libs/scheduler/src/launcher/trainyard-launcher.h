/* What trainyard-launcher.c and trainyard-monitor.c share. */
#ifndef TRAINYARD_LAUNCHER_H
#define TRAINYARD_LAUNCHER_H

#include <stddef.h>

/* The monitor's ends of its pipes: its launch request, and its reports to the launcher. */
#define REQUEST_FD 3
#define REPORT_FD 4

/* Runs one job's monitor (see trainyard-monitor.c) in this process; returns its exit status. */
int monitor_main(const char *cgroup_parent);

/* Writes everything, retrying on EINTR; gives up quietly when the reader is gone. */
void write_all(int fd, const char *data, size_t len);

/* The directory of PATH (the exit-status file, the log), held open (O_PATH, close-on-exec) from the
 * launch on, or -1. Written through it, a job's files land in the state directory wherever it is by
 * then: one moved while its job ran (its server, started there, re-attaches the job) still gets
 * them, where PATH names a directory that is gone. (One removed meanwhile — restored over itself —
 * is passed over for PATH.) */
int open_parent_dir(const char *path);

/* Writes a job's exit-status file (0600, atomically: NAME.tmp, then a rename) from the command's
 * wait status: its exit code ("137"), or "signal N" when a signal killed it (so an `exit 137` is not
 * read as SIGKILL), and WHY on a second line when not empty (why the command could not be run at
 * all). In DIR (see open_parent_dir) under PATH's last part, or at PATH when DIR is -1. 0, or -1 with
 * errno. */
int write_exit_file(int dir, const char *path, int wait_status, const char *why);

/* A shell-style exit status from a wait status (128+N for signal N); -1 for neither. */
int status_of(int wait_status);

/* A growable, NUL-terminated string (zero-initialise; the caller frees `data`). */
typedef struct {
  char *data;
  size_t len, cap;
} text_t;
void text_add(text_t *t, const char *s, size_t n);
void text_printf(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string, or null when `s` is NULL. */
void text_json(text_t *t, const char *s);

#endif
