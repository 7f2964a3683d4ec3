/*
 * The host's floor for "submit -> the job's first command": the bench's job command,
 * `sh -c 'date +%s.%N > FILE'`, started with posix_spawn by this small idle process, one at a time.
 * No queue, no server, no terminal: what is left is the host's own cost of starting a shell that
 * forks and execs `date`. Prints one latency per line, in ms (the job's timestamp minus the wall
 * clock just before the spawn), as bench/run.ts measures Trainyard and its peers.
 *
 *   spawn-floor N DIR      (built and run by bench/run.ts)
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawn-floor N DIR\n");
    return 2;
  }
  int n = atoi(argv[1]);
  for (int i = 0; i < n; i++) {
    char file[4096], command[4200];
    snprintf(file, sizeof file, "%s/%d", argv[2], i);
    snprintf(command, sizeof command, "date +%%s.%%N > %s", file);
    char *args[] = {"sh", "-c", command, NULL};
    struct timespec t0;
    clock_gettime(CLOCK_REALTIME, &t0);
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, "sh", NULL, NULL, args, environ) != 0 || waitpid(pid, &status, 0) != pid) {
      perror("spawn-floor: sh");
      return 1;
    }
    FILE *f = fopen(file, "r");
    long long sec = 0, nsec = 0;
    if (!f || fscanf(f, "%lld.%lld", &sec, &nsec) != 2) {
      fprintf(stderr, "spawn-floor: %s holds no timestamp\n", file);
      return 1;
    }
    fclose(f);
    printf("%.3f\n", ((double)(sec - t0.tv_sec) * 1e9 + (double)(nsec - t0.tv_nsec)) / 1e6);
    usleep(10000); /* as the bench's loops, which wait for each job's end before the next */
  }
  return 0;
}
