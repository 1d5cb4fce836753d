/*
 * The raw floor for tcp-keepalive's benchmark: the same setsockopt and
 * getsockopt calls the addon makes, from plain C, on a connected loopback
 * TCP socket this program opens itself.
 *
 *   set group: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, SO_KEEPALIVE (4 calls)
 *   get group: TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT,
 *              SO_KEEPALIVE (5 calls)
 *
 * Usage:
 *   floor [--iterations N] [--rounds R] [--threads T] [--values I,V,C ...]
 *       standalone: R rounds, each N set groups then N get groups; prints the
 *       median ns per group.
 *   floor --serve [--threads T] [--values I,V,C ...]
 *       for bench/index.mjs: prints "ready <constants>", then for each line
 *       "set N" or "get N" read from stdin runs N groups and prints the mean
 *       ns per group of that batch; "quit" or EOF ends. Between commands the
 *       program blocks on stdin, so it never competes with the JS rounds.
 *
 * The set group cycles through the --values sets (idle s, interval s, count),
 * the same sets the JS variants use, so every call changes the values.
 *
 * --threads T starts T idle threads first. That alone makes every socket
 * syscall dearer: while a process has one thread, the kernel looks the fd up
 * without taking a reference (fdget's fast path for an unshared file table);
 * with more, each call takes and drops a reference on the file (fdget/fput).
 * Every Node process has several threads (V8 platform workers, the libuv
 * signal/inspector threads), so `--threads 1` is the floor a Node addon can
 * actually reach; the default (0) is the absolute floor.
 *
 * Build: cc -O2 -pthread -o bench/floor/floor bench/floor.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 16

static int sets[MAX_SETS][3] = {{60, 10, 5}, {61, 11, 6}, {62, 12, 7}, {63, 13, 8}};
static int set_count = 4;
static volatile int sink;

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A connected loopback TCP pair; returns the client end (the one measured). */
static int connect_loopback(int *server_side, int *listener) {
  struct sockaddr_in addr;
  socklen_t len = sizeof(addr);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) die("socket");
  if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) != 0) die("bind");
  if (listen(l, 1) != 0) die("listen");
  if (getsockname(l, (struct sockaddr *)&addr, &len) != 0) die("getsockname");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0) die("socket");
  if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0) die("connect");
  int s = accept(l, NULL, NULL);
  if (s < 0) die("accept");
  *server_side = s;
  *listener = l;
  return c;
}

static double run_set(int fd, long n) {
  static const int on = 1;
  uint64_t start = now_ns();
  for (long i = 0; i < n; i++) {
    const int *v = sets[i % set_count];
    if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v[0], sizeof(int)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v[1], sizeof(int)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v[2], sizeof(int)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(int)) != 0)
      die("setsockopt");
  }
  return (double)(now_ns() - start) / (double)n;
}

static double run_get(int fd, long n) {
  int v[5];
  uint64_t start = now_ns();
  for (long i = 0; i < n; i++) {
    socklen_t l0 = sizeof(int), l1 = sizeof(int), l2 = sizeof(int),
              l3 = sizeof(int), l4 = sizeof(int);
    if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v[0], &l0) != 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v[1], &l1) != 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v[2], &l2) != 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v[3], &l3) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v[4], &l4) != 0)
      die("getsockopt");
    sink = v[0] + v[1] + v[2] + v[3] + v[4];
  }
  return (double)(now_ns() - start) / (double)n;
}

static double run_info(int fd, long n) {
  struct tcp_info info;
  uint64_t start = now_ns();
  for (long i = 0; i < n; i++) {
    socklen_t length = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0)
      die("getsockopt");
    sink = info.tcpi_rtt + info.tcpi_probes;
  }
  return (double)(now_ns() - start) / (double)n;
}

static void *idle_thread(void *unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, n, sizeof(double), compare);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int serve(int fd) {
  char line[128];
  printf("ready IPPROTO_TCP=%d SOL_SOCKET=%d SO_KEEPALIVE=%d TCP_KEEPIDLE=%d "
         "TCP_KEEPINTVL=%d TCP_KEEPCNT=%d TCP_USER_TIMEOUT=%d\n",
         IPPROTO_TCP, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL,
         TCP_KEEPCNT, TCP_USER_TIMEOUT);
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin)) {
    long n = 0;
    if (sscanf(line, "set %ld", &n) == 1 && n > 0) {
      printf("%.3f\n", run_set(fd, n));
    } else if (sscanf(line, "get %ld", &n) == 1 && n > 0) {
      printf("%.3f\n", run_get(fd, n));
    } else if (sscanf(line, "info %ld", &n) == 1 && n > 0) {
      printf("%.3f\n", run_info(fd, n));
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      printf("error unknown command\n");
    }
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char **argv) {
  long iterations = 20000;
  int rounds = 15, serving = 0, custom = 0, threads = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--serve") == 0) {
      serving = 1;
    } else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
      iterations = atol(argv[++i]);
    } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--values") == 0) {
      while (i + 1 < argc && argv[i + 1][0] != '-' && custom < MAX_SETS) {
        int *v = sets[custom];
        if (sscanf(argv[++i], "%d,%d,%d", &v[0], &v[1], &v[2]) != 3) {
          fprintf(stderr, "floor: bad --values entry %s\n", argv[i]);
          return 2;
        }
        custom++;
      }
    } else {
      fprintf(stderr, "usage: floor [--serve] [--iterations N] [--rounds R] [--threads T] [--values I,V,C ...]\n");
      return 2;
    }
  }
  if (custom > 0) set_count = custom;
  if (iterations < 1 || rounds < 1 || rounds > 10000 || threads < 0 || threads > 64) {
    fprintf(stderr, "floor: bad --iterations, --rounds or --threads\n");
    return 2;
  }
  for (int t = 0; t < threads; t++) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, idle_thread, NULL) != 0) die("pthread_create");
  }

  int server_side, listener;
  int fd = connect_loopback(&server_side, &listener);
  if (serving) return serve(fd);

  double *set_ns = malloc(sizeof(double) * rounds);
  double *get_ns = malloc(sizeof(double) * rounds);
  run_set(fd, iterations / 10 + 1); /* warm up */
  run_get(fd, iterations / 10 + 1);
  for (int r = 0; r < rounds; r++) {
    set_ns[r] = run_set(fd, iterations);
    get_ns[r] = run_get(fd, iterations);
  }
  printf("threads: %d idle besides main\n", threads);
  printf("set (4 x setsockopt): %.1f ns median of %d rounds x %ld\n",
         median(set_ns, rounds), rounds, iterations);
  printf("get (5 x getsockopt): %.1f ns median of %d rounds x %ld\n",
         median(get_ns, rounds), rounds, iterations);
  return 0;
}
