/*
 * One job's monitor (conmon-style), forked by the launcher (trainyard-launcher.c) ahead of its job.
 *
 * Why C: the monitor is on every launch's path and runs once per job. A Python monitor forked from
 * a Python launcher paid ~6 ms of CPU per job (copy-on-write faults of the interpreter's heap, the
 * interpreter's own work); this one costs a fork.
 *
 * monitor_main(cgroup_parent) runs in the monitor's process with:
 *   fd 3  the launch request (read to EOF; EOF at once: no job came, exit 0). Fields, each ended
 *         by a NUL byte: LOG, EXIT, LOG_CAP (decimal bytes, empty: no cap), CWD, ARGC, ARGV x ARGC,
 *         ENVC, ENV ("NAME=value") x ENVC.
 *   fd 4  reports to the launcher, one JSON object per line:
 *         {"op":"launched","pid":N,"monitor_start_time":"TICKS","cgroup":DIR|null,"cgroup_error":TEXT|null}
 *         {"op":"main_exited","status":CODE|null,"by_signal":BOOL,"why":TEXT}   WHY: why it could not
 *                                                       be run at all, else ""; as in the exit file
 *         {"op":"launch_failed","error":TEXT}
 *         {"op":"output_lost","bytes":N,"error":TEXT}   at the end: output a full disk cost that the
 *                                                       log could not say itself (no room left)
 *   CODE is a shell-style exit status (128+N for signal N). It exits with the command's status.
 * (`trainyard-launcher --monitor [--cgroup-parent DIR]` runs one with those fds, for tests.)
 *
 * What it does, in this order (the launcher forks spares ahead, so steps 1-2 are off the launch path):
 * 1. becomes a session leader and a child subreaper (every process the job starts, including ones
 *    that call setsid or double-fork, stays its descendant and is reaped by it), and opens the job's
 *    pseudo-terminal as its controlling terminal;
 * 2. with a cgroup parent, creates the job's cgroup DIR/monitor-<its pid>-<its start time> (field 22
 *    of /proc/self/stat: unique even when pids are reused); the monitor itself stays outside, so
 *    cgroup.kill never reaches it;
 * 3. reads the request, opens the log, and starts the job's process posix_spawn-style (it shares the
 *    monitor's memory until its exec; see start_job) in the job's cgroup (clone3
 *    CLONE_INTO_CGROUP: no migration, which costs ~12 ms of RCU grace period; where clone3 cannot,
 *    the process moves itself in before it runs anything). When the cgroup fails the job still runs,
 *    tracked by its environment tag, and `cgroup_error` says why. The job's process reports
 *    "launched" with its pid, so nothing the job does can come before it, then puts itself in the
 *    foreground of the terminal and execs the command with the job's environment (PATH included,
 *    used to find argv[0]), its output to the terminal and its input from /dev/null;
 * 4. copies the terminal's output to the log as it comes, kept under LOG_CAP by dropping the
 *    oldest output (see capped_log_*); writes the command's exit status to EXIT (0600, atomic rename)
 *    the moment it ends — its exit code, or "signal N" — with a second line saying why when it could
 *    not be run at all; reaps
 *    orphans; exits once the command and every other process holding the terminal or descending
 *    from it are gone (nothing is hung up under processes still shutting down).
 * SIGTERM, SIGINT and SIGHUP stay blocked in the monitor: the server decides when the job is over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "trainyard-launcher.h"

#define READ_CHUNK 65536
#define LOG_BASE_GENERATIONS 2

/* ---------------------------------------------------------------- small helpers */

/* Writes what it can of `data`: the bytes written, fewer than `len` when a write failed (errno says why). */
static size_t write_some(int fd, const char *data, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, data + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    done += (size_t)n;
  }
  return done;
}

void write_all(int fd, const char *data, size_t len) {
  write_some(fd, data, len); /* the reader is gone: nothing better to do here */
}

/* Reads fd to EOF into a NUL-terminated heap buffer; *len gets the length. NULL on error. */
static char *read_to_eof(int fd, size_t *len) {
  size_t size = 4096, used = 0;
  char *buf = malloc(size + 1);
  for (;;) {
    if (!buf) return NULL;
    if (used == size) {
      size *= 2;
      buf = realloc(buf, size + 1);
      continue;
    }
    ssize_t n = read(fd, buf + used, size - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      free(buf);
      return NULL;
    }
    if (n == 0) break;
    used += (size_t)n;
  }
  buf[used] = '\0';
  *len = used;
  return buf;
}

void text_add(text_t *t, const char *s, size_t n) {
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->data = realloc(t->data, t->cap);
    if (!t->data) _exit(127);
  }
  memcpy(t->data + t->len, s, n);
  t->len += n;
  t->data[t->len] = '\0';
}

void text_printf(text_t *t, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  text_add(t, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A JSON string (or null), as the launcher's json.loads reads it. */
void text_json(text_t *t, const char *s) {
  if (!s) {
    text_add(t, "null", 4);
    return;
  }
  text_add(t, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      text_add(t, esc, 2);
    } else if (*p < 0x20) {
      text_printf(t, "\\u%04x", *p);
    } else {
      text_add(t, (const char *)p, 1);
    }
  }
  text_add(t, "\"", 1);
}

static int report_fd = REPORT_FD;

static void report(text_t *t) {
  text_add(t, "}\n", 2);
  if (report_fd >= 0) write_all(report_fd, t->data, t->len);
  free(t->data);
}

static void report_launch_failed(const char *fmt, ...) {
  char why[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  text_t t = {0};
  text_printf(&t, "{\"op\":\"launch_failed\",\"error\":");
  text_json(&t, why);
  report(&t);
  _exit(127);
}

int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

/* Field 22 of /proc/self/stat (clock ticks since boot, as text): with the pid it names the process for
 * good. Reported by the monitor itself: the job may kill its monitor before the server could read it. */
static void own_start_time(char *out, size_t size) {
  char buf[1024];
  out[0] = '\0';
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return;
  /* after ") " come fields 3, 4, ...: field 22 is the 20th of them */
  p += 2;
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  if (!p) return;
  size_t len = strcspn(p, " ");
  if (len >= size) len = size - 1;
  memcpy(out, p, len);
  out[len] = '\0';
}

/* ---------------------------------------------------------------- the request */

typedef struct {
  const char *log, *exit, *cwd;
  long long log_cap; /* 0: no cap */
  char **argv, **env;
} request_t;

/* Parses the NUL-separated request (see the header) in place; 0 on success. */
static int parse_request(char *buf, size_t len, request_t *req) {
  char *end = buf + len, *p = buf;
#define NEXT(out)                                    \
  do {                                               \
    char *nul = memchr(p, '\0', (size_t)(end - p)); \
    if (!nul) return -1;                             \
    (out) = p;                                       \
    p = nul + 1;                                     \
  } while (0)
  char *cap, *count;
  NEXT(req->log);
  NEXT(req->exit);
  NEXT(cap);
  NEXT(req->cwd);
  req->log_cap = *cap ? atoll(cap) : 0;
  char ***lists[2] = {&req->argv, &req->env};
  for (int l = 0; l < 2; l++) {
    NEXT(count);
    long n = atol(count);
    if (n < 0 || n > 1 << 20) return -1;
    char **list = calloc((size_t)n + 1, sizeof *list);
    if (!list) return -1;
    for (long i = 0; i < n; i++) NEXT(list[i]);
    *lists[l] = list;
  }
#undef NEXT
  return req->argv[0] ? 0 : -1;
}

/* ---------------------------------------------------------------- the capped log */

/* The job's log file, appended to, and kept under `cap` bytes (0: no cap).
 *
 * Offsets that readers use are logical: byte N of the job's whole output keeps the number N however
 * much was dropped. When the file passes `cap`, a new file replaces it (one rename, so a reader sees
 * the old file or the new one, never a mix) holding a marker line and then the last cap/2 bytes from
 * a line start. The sidecar PATH.base says, per file generation (by inode), `base` (the logical offset
 * of the file's byte 0, the marker's) and `first` (that of the first kept byte): one line "INODE BASE
 * FIRST" per generation, the last two kept, written (atomically) before the rename so a reader that
 * finds a new file always finds its line. A file without a line is the original: base 0. Readers:
 * libs/jobs/src/tty/tty-base.ts. */
typedef struct {
  const char *path;
  /* PATH's directory, held open (see open_parent_dir): a cut finds the log (and writes its sidecar)
   * there, wherever the state directory has been moved to since the launch. */
  int dir;
  long long cap, size, base;
  unsigned long long ino;
  int fd;
  /* Output that could not be written (a full disk) since the last that was, and why; the log says
   * so, with the count, as soon as it can be written to again (capped_log_own_up). */
  long long lost;
  int lost_errno;
  int at_line_start;
  /* The oldest output could not be dropped and the log says so; the size to try again at. */
  int cut_failure_said;
  long long cut_retry_at;
} capped_log_t;

static char *with_suffix(const char *path, const char *suffix) {
  char *out = malloc(strlen(path) + strlen(suffix) + 1);
  if (!out) _exit(127);
  strcpy(out, path);
  strcat(out, suffix);
  return out;
}

/* Where `path`'s directory entry is now: in `held` (returned, *name set to PATH's last part) while
 * that directory still exists, else at PATH (AT_FDCWD returned): a held directory that was removed
 * (the state directory restored over itself) is no place for it. */
static int entry_at(int held, const char *path, const char **name) {
  struct stat st;
  const char *slash = strrchr(path, '/');
  if (held >= 0 && fstat(held, &st) == 0 && st.st_nlink > 0) {
    *name = slash ? slash + 1 : path;
    return held;
  }
  *name = path;
  return AT_FDCWD;
}

/* Opens NAME + SUFFIX in directory AT (see entry_at) with FLAGS (close-on-exec, 0600 if created). */
static int open_beside(int at, const char *name, const char *suffix, int flags) {
  char *path = with_suffix(name, suffix);
  int fd = openat(at, path, flags | O_CLOEXEC, 0600);
  int saved = errno;
  free(path);
  errno = saved;
  return fd;
}

/* NAME + SUFFIX in directory AT, opened for reading; NULL if it cannot be. */
static FILE *read_beside(int at, const char *name, const char *suffix) {
  int fd = open_beside(at, name, suffix, O_RDONLY);
  FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
  if (fd >= 0 && !f) close(fd);
  return f;
}

/* Renames NAME + FROM to NAME + TO in directory AT. */
static int rename_beside(int at, const char *name, const char *from, const char *to) {
  char *a = with_suffix(name, from), *b = with_suffix(name, to);
  int rc = renameat(at, a, at, b);
  int saved = errno;
  free(a);
  free(b);
  errno = saved;
  return rc;
}

/* Removes NAME + SUFFIX in directory AT, keeping errno. */
static void unlink_beside(int at, const char *name, const char *suffix) {
  int saved = errno;
  char *path = with_suffix(name, suffix);
  unlinkat(at, path, 0);
  free(path);
  errno = saved;
}

/* (base) of the log generation with inode `ino`, from the sidecar; 0 if not there. */
static long long read_log_base(const capped_log_t *log, unsigned long long ino) {
  const char *name;
  int at = entry_at(log->dir, log->path, &name);
  FILE *f = read_beside(at, name, ".base");
  long long base = 0;
  if (!f) return 0;
  unsigned long long line_ino;
  long long line_base, line_first;
  char line[256];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%llu %lld %lld", &line_ino, &line_base, &line_first) == 3 && line_ino == ino)
      base = line_base;
  fclose(f);
  return base;
}

static int capped_log_open(capped_log_t *log, const char *path, long long cap) {
  log->path = path;
  log->cap = cap;
  log->lost = 0;
  log->at_line_start = 1;
  log->cut_failure_said = 0;
  log->cut_retry_at = 0;
  log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log->fd < 0) return -1;
  log->dir = open_parent_dir(path);
  struct stat st;
  fstat(log->fd, &st);
  log->size = st.st_size;
  log->ino = st.st_ino;
  log->base = read_log_base(log, st.st_ino); /* a requeued job's log continues */
  return 0;
}

static void write_sidecar(int at, const char *name, unsigned long long ino, long long base, long long first) {
  char kept[LOG_BASE_GENERATIONS][256];
  int n = 0;
  FILE *f = read_beside(at, name, ".base");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f)) {
      if (strspn(line, " \t\r\n") == strlen(line)) continue;
      line[strcspn(line, "\n")] = '\0';
      if (n == LOG_BASE_GENERATIONS) {
        memmove(kept[0], kept[1], sizeof kept[0] * (LOG_BASE_GENERATIONS - 1));
        n--;
      }
      snprintf(kept[n++], sizeof kept[0], "%s", line);
    }
    fclose(f);
  }
  if (n == LOG_BASE_GENERATIONS) { /* keep the last LOG_BASE_GENERATIONS, the new one included */
    memmove(kept[0], kept[1], sizeof kept[0] * (LOG_BASE_GENERATIONS - 1));
    n--;
  }
  snprintf(kept[n++], sizeof kept[0], "%llu %lld %lld", ino, base, first);
  int fd = open_beside(at, name, ".base.tmp", O_WRONLY | O_CREAT | O_TRUNC);
  if (fd >= 0) {
    for (int i = 0; i < n; i++) {
      write_all(fd, kept[i], strlen(kept[i]));
      write_all(fd, "\n", 1);
    }
    close(fd);
    rename_beside(at, name, ".base.tmp", ".base");
  }
}

/* Where the kept output starts: the first line start after `from` in the file, unless that would
 * leave nothing (then `from` itself). Reads at most up to the first newline, a chunk at a time. */
static long long kept_start(int rfd, long long from, long long size, char *chunk) {
  for (long long pos = from; pos < size;) {
    ssize_t got = pread(rfd, chunk, (size_t)(size - pos < READ_CHUNK ? size - pos : READ_CHUNK), pos);
    if (got <= 0) break;
    char *nl = memchr(chunk, '\n', (size_t)got);
    if (nl) return pos + (nl - chunk) + 1 < size ? pos + (nl - chunk) + 1 : from;
    pos += got;
  }
  return from;
}

/* Replaces the log by a marker line and its last cap/2 bytes from a line start, copied a chunk at a
 * time (never the whole half in memory: 512 MiB at the default cap). 0 once replaced; -1 with errno
 * when it cannot be (the directory takes no new file, a full disk): the log stays as it is, over
 * its cap, rather than be replaced by a cut-short copy. */
static int capped_log_drop_oldest(capped_log_t *log) {
  long long keep = log->cap / 2;
  char *chunk = malloc(READ_CHUNK);
  if (!chunk) return -1;
  const char *name;
  int at = entry_at(log->dir, log->path, &name);
  int rfd = open_beside(at, name, "", O_RDONLY);
  if (rfd < 0) {
    free(chunk);
    return -1;
  }
  long long start = kept_start(rfd, log->size > keep ? log->size - keep : 0, log->size, chunk);
  long long first = log->base + start; /* logical offset of the first kept byte */
  char marker[160];
  int marker_len = snprintf(marker, sizeof marker,
                            "[trainyard] %lld bytes of earlier output dropped (log cap %lld bytes)\r\n", first,
                            log->cap);
  long long base = first - marker_len;
  int fd = open_beside(at, name, ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
  int ok = fd >= 0 && write_some(fd, marker, (size_t)marker_len) == (size_t)marker_len;
  for (long long pos = start; ok && pos < log->size;) {
    size_t want = (size_t)(log->size - pos < READ_CHUNK ? log->size - pos : READ_CHUNK);
    ssize_t got = pread(rfd, chunk, want, pos);
    if (got <= 0) {
      if (got == 0) errno = EIO; /* the file got shorter under us: not ours to cut */
      ok = 0;
    } else {
      ok = write_some(fd, chunk, (size_t)got) == (size_t)got;
      pos += got;
    }
  }
  int saved = errno;
  close(rfd);
  free(chunk);
  if (fd >= 0 && !ok) {
    close(fd);
    unlink_beside(at, name, ".tmp");
  }
  if (!ok) {
    errno = saved;
    return -1;
  }
  struct stat st;
  fstat(fd, &st);
  write_sidecar(at, name, st.st_ino, base, first);
  if (rename_beside(at, name, ".tmp", "") != 0) {
    saved = errno;
    close(fd);
    unlink_beside(at, name, ".tmp");
    errno = saved;
    return -1;
  }
  struct stat err_st;
  if (fstat(2, &err_st) == 0 && err_st.st_ino == log->ino) dup2(fd, 2); /* our last words follow the log */
  close(log->fd);
  log->fd = fd;
  log->ino = st.st_ino;
  log->base = base;
  log->size = marker_len + (log->size - start);
  return 0;
}

/* Appends what fits of `data` to the log file and counts it; the bytes written. */
static size_t capped_log_append(capped_log_t *log, const char *data, size_t len) {
  size_t n = write_some(log->fd, data, len);
  log->size += (long long)n;
  if (n > 0) log->at_line_start = data[n - 1] == '\n';
  return n;
}

/* Appends one line of our own, whole or not at all (a line cut short by a full disk is taken
 * back); 0 once written, -1 if not. */
static int capped_log_say(capped_log_t *log, const char *line, size_t len) {
  size_t n = write_some(log->fd, line, len);
  if (n < len) {
    if (n > 0 && ftruncate(log->fd, log->size) != 0) log->size += (long long)n; /* kept: count it */
    return -1;
  }
  log->size += (long long)len;
  log->at_line_start = 1;
  return 0;
}

/* After output was lost, one line saying how much and why, on a line of its own; 0 once said (or
 * nothing was lost), -1 while it still cannot be written. */
static int capped_log_own_up(capped_log_t *log) {
  if (!log->lost) return 0;
  char marker[256];
  int len = snprintf(marker, sizeof marker, "%s[trainyard] %lld bytes of output lost: %s\r\n",
                     log->at_line_start ? "" : "\r\n", log->lost, strerror(log->lost_errno));
  if (capped_log_say(log, marker, (size_t)len) != 0) return -1;
  log->lost = 0;
  return 0;
}

/* The oldest output could not be dropped: one line in the log says so and why (once until a drop
 * works again; with a full disk, at the first try that finds room for it), and the next try waits
 * until the log has grown by another quarter of its cap — not at every read of output, each of
 * which would copy half the cap again. */
static void capped_log_cut_failed(capped_log_t *log, int why) {
  long long step = log->cap / 4 > READ_CHUNK ? log->cap / 4 : READ_CHUNK;
  if (!log->cut_failure_said) {
    char line[320];
    int len = snprintf(line, sizeof line,
                       "%s[trainyard] the log is over its cap (%lld bytes) and its oldest output cannot be dropped: "
                       "%s; it grows on, and is cut once that works\r\n",
                       log->at_line_start ? "" : "\r\n", log->cap, strerror(why));
    log->cut_failure_said = capped_log_say(log, line, (size_t)len) == 0;
  }
  log->cut_retry_at = log->size + step;
}

/* Output goes on in the log after a full disk, with a line saying what was lost in between. */
static void capped_log_write(capped_log_t *log, const char *data, size_t len) {
  size_t n = capped_log_own_up(log) == 0 ? capped_log_append(log, data, len) : 0;
  if (n < len) {
    if (!log->lost) log->lost_errno = errno;
    log->lost += (long long)(len - n);
  }
  if (!log->cap || log->size <= log->cap || log->size < log->cut_retry_at) return;
  if (capped_log_drop_oldest(log) == 0)
    log->cut_failure_said = 0;
  else
    capped_log_cut_failed(log, errno);
}

/* ---------------------------------------------------------------- the job's process */

/* Runs in the job's process, which shares the monitor's memory until its exec (see start_job): it
 * allocates nothing and uses no stdio. */
static void fail(int code, const char *fmt, ...) {
  char why[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  write_all(2, "trainyard: ", 11);
  write_all(2, why, strlen(why));
  write_all(2, "\n", 1);
  write_all(3, why, strlen(why)); /* to the monitor: the exit file's second line */
  _exit(code);
}

/* Why exec failed, in a shell's words, and the shell's exit status for it. */
static void exec_failed(int err, const char *name) {
  /* A bare name was looked for on PATH; a path names one file, which is not there (a shell says so). */
  if (err == ENOENT && !strchr(name, '/')) fail(127, "command not found: %s", name);
  if (err == EACCES || err == ENOEXEC || err == EISDIR) fail(126, "cannot execute %s: %s", name, strerror(err));
  /* As a shell: 127 when it is not there at all, 126 when it is but cannot run (E2BIG, ETXTBSY…). */
  int missing = err == ENOENT || err == ENOTDIR || err == ELOOP || err == ENAMETOOLONG;
  fail(missing ? 127 : 126, "cannot run %s: %s", name, strerror(err));
}

/* execvpe's search with the job's own PATH (not ours), failing like Python's os.execvpe did: the first
 * error other than "not there" wins, so a found but unrunnable file says why. */
static void exec_command(char **argv, char **env) {
  const char *name = argv[0];
  if (strchr(name, '/')) {
    execve(name, argv, env);
    exec_failed(errno, name);
  }
  const char *path = "/bin:/usr/bin";
  for (char **e = env; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int saved = 0;
  size_t name_len = strlen(name);
  char full[PATH_MAX];
  for (const char *dir = path;; dir = strchr(dir, ':') + 1) {
    size_t dir_len = strcspn(dir, ":");
    if (dir_len + name_len + 2 > sizeof full) {
      errno = ENAMETOOLONG;
    } else {
      memcpy(full, dir, dir_len);
      full[dir_len] = '/';
      memcpy(full + dir_len + 1, name, name_len + 1);
      execve(dir_len ? full : name, argv, env);
    }
    if (errno != ENOENT && errno != ENOTDIR && !saved) saved = errno;
    if (!strchr(dir, ':')) break;
  }
  exec_failed(saved ? saved : ENOENT, name);
}

static const int STOPS[] = {SIGTERM, SIGINT, SIGHUP};

/* What the job's process needs, prepared by the monitor before it starts that process: the process
 * shares the monitor's memory until its exec (vfork semantics, the monitor waiting meanwhile), so it
 * reads all this in place and allocates nothing. */
typedef struct {
  const request_t *req;
  int slave, why_w;
  /* >= 0: the process joins the job's cgroup itself, writing "0" here (clone3 could not start it
   * there); on failure it sets cgroup_errno and reports cgroup_failed + strerror instead of tail. */
  int cgroup_procs, cgroup_errno;
  /* The "launched" report after its pid: `,"monitor_start_time":...}\n`; and, for a failed join, up
   * to the opening quote of the error's text after "<cgroup dir>: ". */
  const char *tail, *cgroup_failed;
} job_start_t;

static const char LAUNCHED_HEAD[] = "{\"op\":\"launched\",\"pid\":";

/* In the job's process (see job_start_t): join the cgroup if asked, report "launched" with our pid,
 * then own process group in the foreground, then exec. `why_w` is close-on-exec: a successful exec
 * closes it unwritten; a failed one writes the reason.
 * "launched" goes out before the command runs and while the monitor still waits for this exec: a
 * job that kills its monitor at once (or anything else that ends it then) cannot make its launch
 * look like one that never ran while its command runs on. */
static void job_process(job_start_t *s) {
  if (s->cgroup_procs >= 0 && write(s->cgroup_procs, "0", 1) != 1) s->cgroup_errno = errno ? errno : EIO;
  char pid[24];
  int pid_len = snprintf(pid, sizeof pid, "%d", (int)getpid());
  write_all(report_fd, LAUNCHED_HEAD, sizeof LAUNCHED_HEAD - 1);
  write_all(report_fd, pid, (size_t)pid_len);
  if (s->cgroup_errno) {
    const char *why = strerror(s->cgroup_errno); /* plain ASCII: no JSON escapes needed */
    write_all(report_fd, s->cgroup_failed, strlen(s->cgroup_failed));
    write_all(report_fd, why, strlen(why));
    write_all(report_fd, "\"}\n", 3);
  } else {
    write_all(report_fd, s->tail, strlen(s->tail));
  }
  setpgid(0, 0);
  signal(SIGTTOU, SIG_IGN);
  tcsetpgrp(s->slave, getpid());
  /* A job starts with every default disposition and nothing blocked. A stop sent before this stayed
   * pending (blocked, never discarded) and now ends the process before the command runs. */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  /* No input, as under Slurm or task-spooler: a prompt (a login, "Continue? [y/N]") gets end-of-input
   * at once instead of waiting forever on a terminal nobody types into. Output is the terminal
   * (colours, progress bars), which stays the controlling one for signals. */
  int no_input = open("/dev/null", O_RDONLY);
  dup2(no_input >= 0 ? no_input : s->slave, 0);
  dup2(s->slave, 1);
  dup2(s->slave, 2);
  dup2(s->why_w, 3);
  fcntl(3, F_SETFD, FD_CLOEXEC);
  close_range(4, ~0U, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (chdir(s->req->cwd) != 0) fail(1, "cannot enter the working directory %s: %s", s->req->cwd, strerror(errno));
  exec_command(s->req->argv, s->req->env);
}

#if defined(__x86_64__) && !defined(TRAINYARD_NO_CLONE3)
/* (-DTRAINYARD_NO_CLONE3 builds the portable path below on x86-64 too, to test it.)
 * clone3(args, size) that returns in both processes like vfork(): with CLONE_VM the child runs on
 * our stack until its exec, so the return address is kept in a register across the call (as glibc's
 * vfork does) rather than read back from the stack the child has written over. Returns the child's
 * pid (0 in the child) or -errno. */
long vfork_clone3(struct clone_args *args, size_t size) __attribute__((returns_twice));
__asm__(".text\n"
        ".type vfork_clone3, @function\n"
        "vfork_clone3:\n"
        "  pop %rdx\n"
        "  mov $435, %eax\n" /* SYS_clone3 */
        "  syscall\n"
        "  push %rdx\n"
        "  ret\n"
        ".size vfork_clone3, .-vfork_clone3\n");
#endif

/* Starts the job's process (job_process) the way posix_spawn does: sharing our memory until its exec,
 * which spares a copy of our page tables and its teardown per job (on the bench VM, where page-table
 * work is a hypervisor call, a fifth of a trivial job's process cost); we wait meanwhile. In the
 * job's cgroup `cgroup_fd` (-1: none) from its first instruction where clone3 can (Linux 5.7+,
 * x86-64); otherwise the process joins it itself, through `s->cgroup_procs`, before it runs
 * anything. The pid, or -1 with errno. */
static pid_t start_job(job_start_t *s, int cgroup_fd, const char *cgroup) {
#if defined(__x86_64__) && !defined(TRAINYARD_NO_CLONE3)
  if (cgroup_fd >= 0) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (uint64_t)cgroup_fd;
    long pid = vfork_clone3(&args, sizeof args);
    if (pid == 0) job_process(s);
    if (pid > 0) return (pid_t)pid;
  }
#else
  (void)cgroup_fd;
#endif
  if (cgroup) {
    char *procs = with_suffix(cgroup, "/cgroup.procs");
    /* No O_CREAT: in a directory that is not a cgroup this fails instead of making a file. */
    s->cgroup_procs = open(procs, O_WRONLY | O_CLOEXEC);
    free(procs);
    if (s->cgroup_procs < 0) s->cgroup_errno = errno;
  }
  pid_t pid = vfork();
  if (pid == 0) job_process(s);
  return pid;
}

int open_parent_dir(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
  int fd = dir ? open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  free(dir);
  return fd;
}

int write_exit_file(int dir, const char *path, int wait_status, const char *why) {
  const char *name;
  int at = entry_at(dir, path, &name);
  char *tmp = with_suffix(name, ".tmp");
  int fd = openat(at, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int ok = fd >= 0;
  if (ok) {
    ok = (WIFSIGNALED(wait_status) ? dprintf(fd, "signal %d\n", WTERMSIG(wait_status))
                                   : dprintf(fd, "%d\n", WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1)) > 0 &&
         (!why[0] || dprintf(fd, "%s\n", why) > 0);
    ok = close(fd) == 0 && ok;
    ok = ok && renameat(at, tmp, at, name) == 0;
  }
  if (!ok) {
    int err = errno;
    unlinkat(at, tmp, 0); /* never a partial file under either name (a full disk, say) */
    errno = err;
  }
  free(tmp);
  return ok ? 0 : -1;
}

/*
 * Writes the exit file; 1 once written. A full file system (ENOSPC, EDQUOT) is waited out: 0, said
 * once (`first`) on the terminal's log side (stderr), and the caller tries again. Any other error is
 * said and given up on (1): the server then settles the job without it.
 */
static int record_exit(int dir, const char *path, int wait_status, const char *why, int first) {
  if (write_exit_file(dir, path, wait_status, why) == 0) return 1;
  int full = errno == ENOSPC || errno == EDQUOT;
  if (first || !full)
    dprintf(2, "trainyard: cannot record the exit status: %s%s\n", strerror(errno),
            full ? " (trying again each second until there is room)" : "");
  return !full;
}

/* Runs of whitespace become one space, none at the ends: the exit file's second line is one line. */
static void collapse_whitespace(char *s) {
  char *out = s;
  int space = 0;
  for (char *in = s; *in; in++) {
    if (strchr(" \t\r\n\v\f", *in)) {
      space = out != s;
      continue;
    }
    if (space) *out++ = ' ';
    space = 0;
    *out++ = *in;
  }
  *out = '\0';
}

/* ---------------------------------------------------------------- the monitor */

int monitor_main(const char *cgroup_parent) {

  /* SIGCHLD comes through a signalfd; the stops stay blocked for good (see the header). */
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  for (size_t i = 0; i < sizeof STOPS / sizeof *STOPS; i++) sigaddset(&blocked, STOPS[i]);
  sigprocmask(SIG_BLOCK, &blocked, NULL);
  signal(SIGPIPE, SIG_IGN); /* a gone launcher is an error on write, not our death */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

  /* 1. session, subreaper, terminal */
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(devnull, 0);
  dup2(devnull, 1);
  fcntl(REQUEST_FD, F_SETFD, FD_CLOEXEC);
  fcntl(REPORT_FD, F_SETFD, FD_CLOEXEC);
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (sigfd < 0 || master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
    report_launch_failed("cannot open a pseudo-terminal: %s", strerror(errno));
  int slave = open(ptsname(master), O_RDWR | O_CLOEXEC);
  if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) != 0)
    report_launch_failed("cannot open the terminal: %s", strerror(errno));

  /* 2. the job's cgroup, and the pipe its process reports a failed start on */
  char start_time[32], cgroup_path[4096];
  own_start_time(start_time, sizeof start_time);
  const char *cgroup = NULL;
  char *cgroup_error = NULL;
  int cgroup_fd = -1;
  if (cgroup_parent) {
    snprintf(cgroup_path, sizeof cgroup_path, "%s/monitor-%d-%s", cgroup_parent, getpid(), start_time);
    if (mkdir(cgroup_path, 0755) != 0 && errno != EEXIST) {
      static char why[4200];
      snprintf(why, sizeof why, "%s: %s", cgroup_path, strerror(errno));
      cgroup_error = why;
    } else {
      cgroup = cgroup_path;
      cgroup_fd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  }
  int why_pipe[2];
  if (pipe2(why_pipe, O_CLOEXEC) != 0) report_launch_failed("pipe: %s", strerror(errno));

  /* 3. the request */
  size_t len;
  char *raw = read_to_eof(REQUEST_FD, &len);
  close(REQUEST_FD);
  if (!raw || len == 0) { /* the launcher went away first: no job came */
    if (cgroup) rmdir(cgroup);
    return 0;
  }
  request_t req;
  if (parse_request(raw, len, &req) != 0) report_launch_failed("malformed launch request");
  capped_log_t log;
  if (capped_log_open(&log, req.log, req.log_cap) != 0)
    report_launch_failed("cannot open the log %s: %s", req.log, strerror(errno));
  dup2(log.fd, 2); /* our own last words go to the job's log */
  /* Opened now, as the log is: both follow the state directory if it is moved while the job runs. */
  int exit_dir = open_parent_dir(req.exit);

  /* The job's process reports "launched" itself (see job_process), with these after its pid. */
  text_t tail = {0}, cgroup_failed = {0};
  text_printf(&tail, ",\"monitor_start_time\":");
  text_json(&tail, start_time);
  text_add(&cgroup_failed, tail.data, tail.len);
  text_printf(&tail, ",\"cgroup\":");
  text_json(&tail, cgroup);
  text_printf(&tail, ",\"cgroup_error\":");
  text_json(&tail, cgroup_error);
  text_add(&tail, "}\n", 2);
  text_printf(&cgroup_failed, ",\"cgroup\":null,\"cgroup_error\":");
  text_json(&cgroup_failed, cgroup ? cgroup : "");
  cgroup_failed.data[--cgroup_failed.len] = '\0'; /* the error's text goes on inside that string */
  text_add(&cgroup_failed, ": ", 2);
  job_start_t start = {&req, slave, why_pipe[1], -1, 0, tail.data, cgroup_failed.data};
  pid_t pid = start_job(&start, cgroup_fd, cgroup);
  if (pid < 0) report_launch_failed("fork: %s", strerror(errno));
  close(why_pipe[1]);
  close(slave); /* the master reads EIO once no process holds the terminal any more */
  if (start.cgroup_procs >= 0) close(start.cgroup_procs);
  if (cgroup_fd >= 0) close(cgroup_fd);
  if (start.cgroup_errno && cgroup) {
    rmdir(cgroup);
    cgroup = NULL;
  }
  free(tail.data);
  free(cgroup_failed.data);

  /* 4. copy output, reap, record */
  int main_status = -1, main_done = 0, terminal_open = 1, children_left = 1;
  /* The exit status not written yet for want of space: retried each second, and the monitor does not
   * end before it is written — the server may be gone meanwhile, and this file is all that is left. */
  int exit_status = 0, exit_pending = 0;
  char *exit_why = NULL;
  char *buf = malloc(READ_CHUNK);
  if (!buf) _exit(127);
  for (;;) {
    /* Reap everything that ended: the command, and orphans re-parented to us (subreaper). */
    for (;;) {
      int wait_status;
      pid_t child = waitpid(-1, &wait_status, WNOHANG);
      if (child < 0) {
        children_left = errno != ECHILD;
        break;
      }
      if (child == 0) break;
      if (child == pid && !main_done) {
        main_done = 1;
        main_status = status_of(wait_status);
        char why[4096];
        ssize_t n = read(why_pipe[0], why, sizeof why - 1); /* its writer has exited: never blocks */
        why[n > 0 ? n : 0] = '\0';
        close(why_pipe[0]);
        collapse_whitespace(why);
        exit_status = wait_status;
        exit_why = strdup(why);
        exit_pending = !record_exit(exit_dir, req.exit, exit_status, exit_why ? exit_why : "", 1);
        /* All the exit file says, for a server that settles the job before the file is there (a full
         * disk: see record_exit). */
        text_t m = {0};
        text_printf(&m, "{\"op\":\"main_exited\",\"status\":");
        if (main_status >= 0)
          text_printf(&m, "%d", main_status);
        else
          text_printf(&m, "null");
        text_printf(&m, ",\"by_signal\":%s,\"why\":", WIFSIGNALED(wait_status) ? "true" : "false");
        text_json(&m, why);
        report(&m);
      }
    }
    if (exit_pending) exit_pending = !record_exit(exit_dir, req.exit, exit_status, exit_why ? exit_why : "", 0);
    if (!children_left && !terminal_open) break;
    struct pollfd fds[2] = {{sigfd, POLLIN, 0}, {master, POLLIN, 0}};
    int timeout = exit_pending ? 1000 : terminal_open ? -1 : 500;
    int ready = poll(fds, terminal_open ? 2 : 1, timeout);
    if (ready < 0) continue;
    if (fds[0].revents) {
      struct signalfd_siginfo info;
      while (read(sigfd, &info, sizeof info) > 0) {
      }
    }
    if (terminal_open && fds[1].revents) {
      ssize_t n = read(master, buf, READ_CHUNK);
      if (n > 0)
        capped_log_write(&log, buf, (size_t)n);
      else if (n == 0 || errno == EIO)
        terminal_open = 0;
    }
  }
  /* Output lost to a full disk near the end: said in the log if there is room now, else to the
   * server, which records it with the job's end (a log that ends early must say why). */
  if (capped_log_own_up(&log) != 0) {
    text_t lost = {0};
    text_printf(&lost, "{\"op\":\"output_lost\",\"bytes\":%lld,\"error\":", log.lost);
    text_json(&lost, strerror(log.lost_errno));
    report(&lost);
  }
  while (exit_pending) {
    sleep(1);
    exit_pending = !record_exit(exit_dir, req.exit, exit_status, exit_why ? exit_why : "", 0);
  }
  free(exit_why);
  if (cgroup) rmdir(cgroup); /* gone or still populated: the server removes it too, and at its next start */
  return main_status >= 0 ? main_status : 1;
}
