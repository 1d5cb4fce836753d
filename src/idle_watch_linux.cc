// inspect at idle priority, bounded: every thread of the command under
// SCHED_IDLE, so the process it reads never waits for a CPU behind it, and a
// watchdog thread left at the command's own priority so that a busy machine
// (where SCHED_IDLE threads get ~0.4 % of a CPU: 4 000 sockets took 56 s
// instead of 0.24 s) never leaves its user waiting blind:
// - where stderr is a terminal, a progress line after progress_after_ms;
// - once the command's threads have waited starved_ms in all for a CPU (the
//   kernel's run-queue wait, /proc/self/task/*/schedstat), every thread goes
//   back to the priority the command started with, said once on stderr.
//   Not nice 19: with three CPU-bound processes beside it, 4 000 sockets at
//   nice 19 took 8-14 s; at the command's own priority 0.3 s.
#include "keepalive.h"

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "glibc_versions.h"

namespace tcp_keepalive_addon {
namespace {

constexpr long kTickMs = 200;

struct Watch {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake;  // on CLOCK_MONOTONIC
  pthread_t thread;
  bool running = false;
  bool stop = false;
  bool quiet = false;        // the command writes to the terminal: no progress line
  bool line_shown = false;   // a progress line is on the terminal now
  bool terminal = false;     // stderr is a terminal
  pid_t tid = 0;             // the watchdog's own thread id, once it runs
  IdleWatchOptions options = {};
};

Watch watch;

long long MonotonicNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000LL + now.tv_nsec;
}

// Sets every thread of this process but `except` to `policy`; the number
// changed, or a negative errno when none could be.
int SetEveryThread(int policy, pid_t except) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -errno;
  struct sched_param param = {};
  param.sched_priority = 0;
  int changed = 0;
  int error = 0;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    pid_t tid = atoi(entry->d_name);
    if (tid == except) continue;
    // The system call takes a thread id and changes that thread alone (musl's
    // sched_setscheduler() refuses with ENOSYS for that reason; hence the raw call).
    if (syscall(SYS_sched_setscheduler, tid, policy, &param) == 0) {
      changed++;
    } else if (errno != ESRCH) {  // a thread that ended meanwhile
      error = -errno;
    }
  }
  closedir(dir);
  return changed > 0 ? changed : error;
}

// The time this process's threads have spent runnable but waiting for a CPU,
// in ns (the second field of each thread's schedstat), or -1 where the kernel
// keeps no such account.
long long RunQueueWaitNs() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  long long total = 0;
  bool any = false;
  while (struct dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", entry->d_name);
    FILE* file = fopen(path, "re");
    if (file == nullptr) continue;
    unsigned long long running = 0, waiting = 0;
    if (fscanf(file, "%llu %llu", &running, &waiting) == 2) {
      total += static_cast<long long>(waiting);
      any = true;
    }
    fclose(file);
  }
  closedir(dir);
  return any ? total : -1;
}

// 12345 -> "12,345".
void Grouped(long value, char* out, size_t size) {
  char digits[24];
  int length = snprintf(digits, sizeof digits, "%ld", value);
  size_t at = 0;
  for (int i = 0; i < length && at + 2 < size; i++) {
    if (i > 0 && (length - i) % 3 == 0) out[at++] = ',';
    out[at++] = digits[i];
  }
  out[at] = '\0';
}

void WriteAll(const char* text, size_t length) {
  while (length > 0) {
    ssize_t written = write(STDERR_FILENO, text, length);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    text += written;
    length -= static_cast<size_t>(written);
  }
}

// Under the mutex.
void ClearLine() {
  if (!watch.line_shown) return;
  WriteAll("\r\x1b[K", 4);
  watch.line_shown = false;
}

// Under the mutex: "inspect: 1,024 of 4,000 sockets, 3 s (...)", cut to the
// terminal's width so that \r always returns to its start.
void DrawLine(long long elapsed_ms, bool starving, bool normal) {
  long read = 0, wanted = -1;
  InspectProgress(&read, &wanted);
  char count[96];
  if (wanted < 0) {
    snprintf(count, sizeof count, "reading the socket table");
  } else {
    char done[32], all[32];
    Grouped(read, done, sizeof done);
    Grouped(wanted, all, sizeof all);
    snprintf(count, sizeof count, "%s of %s sockets", done, all);
  }
  const char* why = normal     ? " (normal priority now)"
                    : starving ? " (CPUs busy: --normal-priority is faster)"
                               : "";
  char line[256];
  int length = snprintf(line, sizeof line, "\r\x1b[Kinspect: %s, %lld s%s", count,
                        elapsed_ms / 1000, why);
  if (length < 0) return;
  size_t size = static_cast<size_t>(length) < sizeof line ? static_cast<size_t>(length) : sizeof line - 1;
  struct winsize window = {};
  // 4 bytes of control sequence; one column spare so the cursor never wraps.
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &window) == 0 && window.ws_col > 1 && size > window.ws_col + 3u) {
    size = window.ws_col + 3u;
  }
  WriteAll(line, size);
  watch.line_shown = true;
}

void* WatchLoop(void*) {
  pthread_mutex_lock(&watch.mutex);
  watch.tid = static_cast<pid_t>(syscall(SYS_gettid));
  pthread_cond_broadcast(&watch.wake);
  long long started = MonotonicNs();
  long long waited_at_start = RunQueueWaitNs();
  bool tried = false;   // to leave idle priority
  bool normal = false;  // and did
  while (!watch.stop) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += kTickMs * 1000000;
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&watch.wake, &watch.mutex, &until);
    if (watch.stop) break;
    long long elapsed_ms = (MonotonicNs() - started) / 1000000;
    long long waited = RunQueueWaitNs();
    // Without the kernel's account, the wall time stands for the wait.
    long long waited_ms = waited >= 0 && waited_at_start >= 0 ? (waited - waited_at_start) / 1000000 : elapsed_ms;
    bool starving = waited_ms * 4 > elapsed_ms;
    if (!tried && waited_ms >= watch.options.starved_ms) {
      tried = true;
      int changed = SetEveryThread(SCHED_OTHER, 0);
      normal = changed > 0;
      ClearLine();
      char message[320];
      int length = normal
          ? snprintf(message, sizeof message,
                     "tcp-keepalive inspect: every CPU has been busy for %lld s: moved from idle to normal "
                     "priority to finish (process %d may wait a little behind it)\n",
                     elapsed_ms / 1000, watch.options.target_pid)
          : snprintf(message, sizeof message,
                     "tcp-keepalive inspect: every CPU has been busy for %lld s, and idle priority cannot be "
                     "left without privilege (%s): this may take long; --normal-priority avoids it\n",
                     elapsed_ms / 1000, strerror(-changed));
      if (length > 0) WriteAll(message, static_cast<size_t>(length) < sizeof message ? length : sizeof message - 1);
    }
    if (watch.terminal && !watch.quiet && elapsed_ms >= watch.options.progress_after_ms) {
      DrawLine(elapsed_ms, starving, normal);
    }
  }
  ClearLine();
  pthread_mutex_unlock(&watch.mutex);
  return nullptr;
}

}  // namespace

int RunAtIdlePriority(const IdleWatchOptions& options) {
  pthread_mutex_lock(&watch.mutex);
  if (!watch.running) {
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&watch.wake, &attributes);
    pthread_condattr_destroy(&attributes);
    watch.options = options;
    watch.terminal = isatty(STDERR_FILENO) == 1;
    watch.stop = watch.quiet = watch.line_shown = false;
    watch.tid = 0;
    watch.running = pthread_create(&watch.thread, nullptr, WatchLoop, nullptr) == 0;
    // Its thread id, to leave it out.
    while (watch.running && watch.tid == 0) pthread_cond_wait(&watch.wake, &watch.mutex);
  }
  pid_t except = watch.tid;
  pthread_mutex_unlock(&watch.mutex);
  return SetEveryThread(SCHED_IDLE, except);
}

void QuietIdleWatch() {
  pthread_mutex_lock(&watch.mutex);
  watch.quiet = true;
  ClearLine();
  pthread_mutex_unlock(&watch.mutex);
}

void StopIdleWatch() {
  pthread_mutex_lock(&watch.mutex);
  bool running = watch.running;
  watch.stop = true;
  watch.running = false;
  if (running) pthread_cond_broadcast(&watch.wake);
  pthread_mutex_unlock(&watch.mutex);
  if (running) {
    pthread_join(watch.thread, nullptr);
    pthread_cond_destroy(&watch.wake);
  }
}

}  // namespace tcp_keepalive_addon
