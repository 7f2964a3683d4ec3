/*
 * trainyard-launcher: a small long-lived process that starts jobs for the server.
 *
 * Why a separate process: forking from the server's large Node process blocks its event loop for
 * milliseconds per job; forking this small one does not, and its per-job monitors (trainyard-monitor.c)
 * keep every job's guarantees even when the server, this launcher or the supervisor dies. Why C: it
 * forks each monitor without an exec (a Python launcher spawning a monitor binary paid ~1.5 ms of
 * CPU per job in the interpreter, the exec and the dynamic loader).
 *
 * Usage: trainyard-launcher [--cgroup-parent DIR]        (DIR: the server's parent cgroup; each job's
 *        trainyard-launcher --monitor [--cgroup-parent DIR]   cgroup is made in it by its monitor)
 *
 * Protocol. The server writes launch requests on our stdin, each a run of fields ended by NUL bytes:
 *   "launch", ID, then the monitor's request: LOG, EXIT, LOG_CAP, CWD, ARGC, ARGV x ARGC, ENVC, ENV x ENVC
 * (see trainyard-monitor.c; the counts make each request self-delimiting). We answer on stdout, one
 * JSON object per line:
 *   {"id":ID,"monitor_pid":N,"op":"launched","pid":N,"monitor_start_time":TICKS,"cgroup":DIR|null,"cgroup_error":TEXT|null}
 *   {"id":ID,"op":"launch_failed","error":TEXT}
 *   {"id":ID,"op":"main_exited","status":CODE|null,"by_signal":BOOL,"why":TEXT}   the job's command
 *                                       ended (others may remain); WHY as in its exit file, or ""
 *   {"id":ID,"op":"output_lost","bytes":N,"error":TEXT}  output a full disk cost, not said in the log
 *   {"id":ID,"op":"exited","monitor_pid":N,"status":CODE|null}   every process is gone
 * CODE is a shell-style exit status (128+N for signal N). When stdin closes (the server is gone) the
 * launcher takes no more requests and reports nothing, but stays until the last of its monitors and
 * the commands it inherited have ended, so a command whose monitor is killed meanwhile still has its
 * status recorded; jobs keep running, and the next server re-attaches them. Requests still unread
 * when the server died are not launched (see main).
 *
 * Whenever it is idle (no launch awaiting its "launched"), the launcher keeps SPARES monitors forked
 * ahead: each sets itself up (session, terminal, the job's cgroup) and waits for
 * its request, so a launch only hands one its request. It relays each monitor's reports with the
 * job's id, and, as the child subreaper above them, records a command's exit status when its
 * monitor was killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trainyard-launcher.h"

#define SPARES 2
#define SPARE_AFTER_IDLE_MS 2
#define MAX_JOBS 4096 /* monitors alive at once; more launches are refused with a reason */

typedef struct {
  pid_t pid;
  int request_w, report_r;
} spare_t;

/* A monitor that has its job, until it and the job's command are both reaped. */
typedef struct {
  pid_t pid;        /* 0 once reaped */
  int report_r;     /* -1 once it closed its end */
  char *id, *exit;  /* the job's id and exit-status file */
  int exit_dir;     /* the exit-status file's directory, held open (see open_parent_dir) */
  pid_t command;    /* the job's command while the monitor has not reported its end; 0 otherwise */
  int starting;     /* no "launched" yet */
  text_t buffer;    /* a report line not yet complete */
} monitor_t;

static spare_t spares[SPARES];
static int spare_count;
static monitor_t monitors[MAX_JOBS];
static int monitor_count;
static const char *cgroup_parent;
/* Our server is gone (stdin closed): nobody reads our reports, and no more requests come. */
static int draining;

static void send_line(text_t *t) {
  text_add(t, "\n", 1);
  if (!draining) write_all(1, t->data, t->len);
  free(t->data);
  t->data = NULL;
  t->len = t->cap = 0;
}

static void send_launch_failed(const char *id, const char *why) {
  text_t t = {0};
  text_printf(&t, "{\"id\":");
  text_json(&t, id);
  text_printf(&t, ",\"op\":\"launch_failed\",\"error\":");
  text_json(&t, why);
  text_add(&t, "}", 1);
  send_line(&t);
}

static void send_main_exited(const char *id, int wait_status) {
  int status = status_of(wait_status);
  text_t t = {0};
  text_printf(&t, "{\"id\":");
  text_json(&t, id);
  if (status >= 0)
    text_printf(&t, ",\"op\":\"main_exited\",\"status\":%d", status);
  else
    text_printf(&t, ",\"op\":\"main_exited\",\"status\":null");
  text_printf(&t, ",\"by_signal\":%s,\"why\":\"\"}", WIFSIGNALED(wait_status) ? "true" : "false");
  send_line(&t);
}

/* Forks a monitor that sets itself up, then waits for its job's request on a pipe. 0, or -1 with errno. */
static int fork_monitor(spare_t *out) {
  int request[2], report[2];
  if (pipe2(request, O_CLOEXEC) != 0) return -1;
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(request[0]);
    close(request[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(request[0]), close(request[1]), close(report[0]), close(report[1]);
    errno = err;
    return -1;
  }
  if (pid == 0) {
    /* Above every fd the monitor keeps, so the two dup2s never overwrite each other's source. */
    int request_r = fcntl(request[0], F_DUPFD, 100), report_w = fcntl(report[1], F_DUPFD, 100);
    dup2(request_r, REQUEST_FD);
    dup2(report_w, REPORT_FD);
    close_range(REPORT_FD + 1, ~0U, 0); /* the other monitors' pipes, our signalfd */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    _exit(monitor_main(cgroup_parent));
  }
  close(request[0]);
  close(report[1]);
  fcntl(report[0], F_SETFL, O_NONBLOCK);
  out->pid = pid;
  out->request_w = request[1];
  out->report_r = report[0];
  return 0;
}

/* ---------------------------------------------------------------- requests from the server */

/* Where the request starting at `p` ends (one past its last NUL), or NULL while it is incomplete. */
static char *request_end(char *p, char *end) {
  char *field = p;
  /* "launch", ID, LOG, EXIT, LOG_CAP, CWD: six fields, then two counted lists */
  for (int i = 0; i < 6; i++) {
    char *nul = memchr(field, '\0', (size_t)(end - field));
    if (!nul) return NULL;
    field = nul + 1;
  }
  for (int list = 0; list < 2; list++) {
    char *nul = memchr(field, '\0', (size_t)(end - field));
    if (!nul) return NULL;
    long n = atol(field);
    field = nul + 1;
    for (long i = 0; i < n; i++) {
      nul = memchr(field, '\0', (size_t)(end - field));
      if (!nul) return NULL;
      field = nul + 1;
    }
  }
  return field;
}

/* Hands one request to the oldest spare monitor, or to a new one. */
static void launch(char *request, char *end) {
  const char *id = request + strlen(request) + 1; /* after "launch" */
  char *monitor_request = (char *)id + strlen(id) + 1;
  const char *exit_path = monitor_request + strlen(monitor_request) + 1; /* after LOG */
  if (strcmp(request, "launch") != 0) {
    send_launch_failed(id, "unknown request");
    return;
  }
  if (monitor_count == MAX_JOBS) {
    send_launch_failed(id, "the launcher already watches its maximum number of jobs");
    return;
  }
  spare_t monitor;
  for (;;) {
    int spare = spare_count > 0;
    if (spare) {
      monitor = spares[0];
      memmove(spares, spares + 1, sizeof *spares * (size_t)--spare_count);
    } else if (fork_monitor(&monitor) != 0) {
      char why[256];
      snprintf(why, sizeof why, "monitor: %s", strerror(errno));
      send_launch_failed(id, why);
      return;
    }
    size_t len = (size_t)(end - monitor_request);
    ssize_t n = 0;
    size_t done = 0;
    while (done < len && ((n = write(monitor.request_w, monitor_request + done, len - done)) > 0 || errno == EINTR))
      if (n > 0) done += (size_t)n;
    close(monitor.request_w);
    if (done == len) break;
    close(monitor.report_r); /* it died before it got its job: reaped as an unknown child */
    if (!spare) {
      char why[256];
      snprintf(why, sizeof why, "monitor: %s", strerror(errno));
      send_launch_failed(id, why);
      return;
    }
  }
  monitor_t *m = &monitors[monitor_count++];
  memset(m, 0, sizeof *m);
  m->pid = monitor.pid;
  m->report_r = monitor.report_r;
  m->id = strdup(id);
  m->exit = strdup(exit_path);
  m->exit_dir = open_parent_dir(exit_path);
  m->starting = 1;
}

/* ---------------------------------------------------------------- reports from monitors */

/* Relays one report line of `m` with its job's id (and monitor pid on "launched"). */
static void relay(monitor_t *m, char *line) {
  if (line[0] != '{') return;
  text_t t = {0};
  text_printf(&t, "{\"id\":");
  text_json(&t, m->id);
  if (strncmp(line, "{\"op\":\"launched\"", 16) == 0) {
    text_printf(&t, ",\"monitor_pid\":%d", m->pid);
    m->starting = 0;
    char *pid = strstr(line, "\"pid\":");
    if (pid) m->command = (pid_t)atol(pid + 6);
  } else if (strncmp(line, "{\"op\":\"launch_failed\"", 21) == 0) {
    m->starting = 0;
  } else if (strncmp(line, "{\"op\":\"main_exited\"", 19) == 0) {
    m->command = 0; /* the monitor reaped it: that pid is no longer this job's */
  }
  if (line[1] != '}') text_add(&t, ",", 1);
  text_add(&t, line + 1, strlen(line + 1));
  send_line(&t);
}

/* Reads what monitor `m` said; `wait` reads to EOF (it has exited, so that never blocks long). */
static void on_report(monitor_t *m, int wait) {
  char buf[65536];
  while (m->report_r >= 0) {
    ssize_t n = read(m->report_r, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!wait) return;
      struct pollfd p = {m->report_r, POLLIN, 0};
      poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) {
      close(m->report_r);
      m->report_r = -1;
      break;
    }
    text_add(&m->buffer, buf, (size_t)n);
    char *start = m->buffer.data, *nl;
    while ((nl = memchr(start, '\n', m->buffer.len - (size_t)(start - m->buffer.data)))) {
      *nl = '\0';
      relay(m, start);
      start = nl + 1;
    }
    size_t rest = m->buffer.len - (size_t)(start - m->buffer.data);
    memmove(m->buffer.data, start, rest);
    m->buffer.len = rest;
    m->buffer.data[rest] = '\0';
    if (!wait) return;
  }
}

static void forget(int i) {
  free(monitors[i].id);
  free(monitors[i].exit);
  if (monitors[i].exit_dir >= 0) close(monitors[i].exit_dir);
  free(monitors[i].buffer.data);
  monitors[i] = monitors[--monitor_count];
}

/* The monitor whose job's command is `pid`, or monitor_count. A command that killed its monitor at
 * once can be reaped before we read the "launched" that names it (it is in the monitor's pipe before
 * the command runs), so on a miss the pending reports are read and the search is made again. */
static int monitor_of_command(pid_t pid) {
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < monitor_count; i++)
      if (monitors[i].command == pid) return i;
    if (pass == 0)
      for (int i = 0; i < monitor_count; i++) on_report(&monitors[i], 0);
  }
  return monitor_count;
}

static void reap(void) {
  for (;;) {
    int wait_status;
    pid_t pid = waitpid(-1, &wait_status, WNOHANG);
    if (pid <= 0) return;
    int status = status_of(wait_status);
    int i;
    for (i = 0; i < spare_count && spares[i].pid != pid; i++) {
    }
    if (i < spare_count) { /* a spare that died without a job: another is forked when idle */
      close(spares[i].request_w);
      close(spares[i].report_r);
      memmove(spares + i, spares + i + 1, sizeof *spares * (size_t)(--spare_count - i));
      continue;
    }
    i = monitor_of_command(pid);
    if (i < monitor_count) {
      /* Its monitor was killed and we, the subreaper above it, inherited the command: its real exit
       * status is still recorded. */
      write_exit_file(monitors[i].exit_dir, monitors[i].exit, wait_status, "");
      send_main_exited(monitors[i].id, wait_status);
      monitors[i].command = 0;
      if (monitors[i].pid == 0) forget(i);
      continue;
    }
    for (i = 0; i < monitor_count && monitors[i].pid != pid; i++) {
    }
    if (i == monitor_count) continue; /* a descendant of a killed monitor */
    monitor_t *m = &monitors[i];
    /* What it said before it ended comes first: "launched" and "main_exited" always precede "exited". */
    if (m->report_r >= 0) fcntl(m->report_r, F_SETFL, 0);
    on_report(m, 1);
    text_t t = {0};
    text_printf(&t, "{\"id\":");
    text_json(&t, m->id);
    text_printf(&t, ",\"op\":\"exited\",\"monitor_pid\":%d,\"status\":", pid);
    if (status >= 0)
      text_printf(&t, "%d}", status);
    else
      text_printf(&t, "null}");
    send_line(&t);
    m->pid = 0;
    m->starting = 0;
    if (m->command == 0) forget(i); /* else it may outlive its monitor, re-parented to us */
  }
}

/* The server went away: the spares exit on their request pipe's EOF; we stay for the jobs (see top). */
static void drain(void) {
  draining = 1;
  for (int i = 0; i < spare_count; i++) {
    close(spares[i].request_w);
    close(spares[i].report_r);
  }
  spare_count = 0;
}

static int launches_starting(void) {
  for (int i = 0; i < monitor_count; i++)
    if (monitors[i].starting) return 1;
  return 0;
}

int main(int argc, char **argv) {
  int as_monitor = argc > 1 && strcmp(argv[1], "--monitor") == 0;
  int arg = as_monitor ? 2 : 1;
  if (argc == arg + 2 && strcmp(argv[arg], "--cgroup-parent") == 0) cgroup_parent = argv[arg + 1];
  if (as_monitor) return monitor_main(cgroup_parent);

  /* Orphans of a killed monitor come to us, so a job command's status is never lost to init. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  signal(SIGINT, SIG_IGN); /* Ctrl-C in the server's terminal is the server's */
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  fcntl(0, F_SETFD, FD_CLOEXEC);

  /* Requests come from the server that started us; once it is gone we are re-parented. */
  pid_t server = getppid();
  text_t input = {0};
  struct pollfd *fds = malloc(sizeof *fds * (MAX_JOBS + 2));
  if (sigfd < 0 || !fds) return 1;
  for (;;) {
    if (draining && monitor_count == 0) return 0;
    int n = 0;
    fds[n++] = (struct pollfd){draining ? -1 : 0, POLLIN, 0};
    fds[n++] = (struct pollfd){sigfd, POLLIN, 0};
    for (int i = 0; i < monitor_count; i++)
      if (monitors[i].report_r >= 0) fds[n++] = (struct pollfd){monitors[i].report_r, POLLIN, 0};
    /* Idle with fewer than SPARES spares and no launch under way: fork one, so the next launch skips
     * the fork and the monitor's setup. */
    int idle = !draining && spare_count < SPARES && !launches_starting();
    int ready = poll(fds, (nfds_t)n, idle ? SPARE_AFTER_IDLE_MS : -1);
    if (ready < 0) continue;
    if (ready == 0) {
      if (fork_monitor(&spares[spare_count]) == 0) spare_count++; /* else tried again when next idle */
      continue;
    }
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(sigfd, &info, sizeof info) > 0) {
      }
      reap();
    }
    for (int f = 2; f < n; f++) {
      if (!fds[f].revents) continue;
      for (int i = 0; i < monitor_count; i++)
        if (monitors[i].report_r == fds[f].fd) {
          on_report(&monitors[i], 0);
          break;
        }
    }
    if (fds[0].revents) {
      char buf[65536];
      ssize_t got = read(0, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        drain();
        continue;
      }
      text_add(&input, buf, (size_t)got);
      char *start = input.data, *end;
      while ((end = request_end(start, input.data + input.len))) {
        /* A request its server wrote before dying (still in our pipe, say while we were stopped) is
         * dropped: the next server finds that job claimed with nothing launched and queues it
         * again, so starting it here too would run it twice. */
        if (getppid() == server) launch(start, end);
        start = end;
      }
      size_t rest = input.len - (size_t)(start - input.data);
      memmove(input.data, start, rest);
      input.len = rest;
    }
  }
}
