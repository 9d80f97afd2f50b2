/*
 * Process and thread helpers the daemon needs and Node does not offer.
 *
 * Lifecycle: an exclusive advisory lock on an open file (flock) and the parent-death signal (prctl). Both are
 * owned by the kernel, so they hold even when the daemon is killed with SIGKILL: the lock is released when the
 * last descriptor of the holder closes, and the parent-death signal is delivered when the process that started
 * the daemon exits.
 *
 * Scheduling: pin the data-plane thread to a CPU, and let it run first among the process's threads.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "igs.h"

int igs_try_lock(int fd, igs_err *e) {
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 1;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return 0;
    igs_set_err(e, errno, "flock(%d): %s", fd, strerror(errno));
    return -1;
  }
}

int igs_parent_death_signal(int signo, igs_err *e) {
  if (signo < 0 || signo >= NSIG) {
    igs_set_err(e, 0, "parentDeathSignal: %d is not a signal number", signo);
    return -1;
  }
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)signo, 0, 0, 0) < 0) {
    igs_set_err(e, errno, "prctl(PR_SET_PDEATHSIG, %d): %s", signo, strerror(errno));
    return -1;
  }
  return 0;
}

/* Pin the calling thread (e.g. the data-plane worker) to one CPU: keeps its cache warm and its softirq partner
 * predictable. Only this thread is affected (pthread_self), not the whole process. */
int igs_pin_thread(uint32_t cpu, igs_err *e) {
  if (cpu >= CPU_SETSIZE) {
    igs_set_err(e, 0, "pinThread: cpu %u out of range", cpu);
    return -1;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (r != 0) {
    igs_set_err(e, r, "pinThread(%u): %s", cpu, strerror(r));
    return -1;
  }
  return 0;
}

/*
 * Set every other thread of this process (the main thread with its timers and GC, V8's platform workers, libuv's
 * pool) to nice_v when it is less nice than that, so the calling data-plane thread runs first when they share a
 * CPU. Lowering priority needs no privilege, and nothing gets more CPU than before: it decides what runs when.
 * Threads created later inherit their creator's (lowered) value.
 */
int igs_yield_other_threads(int nice_v, igs_err *e) {
  pid_t self = (pid_t)syscall(SYS_gettid);
  DIR *d = opendir("/proc/self/task");
  if (!d) {
    igs_set_err(e, errno, "yieldOtherThreads: /proc/self/task: %s", strerror(errno));
    return -1;
  }
  int changed = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    pid_t tid = (pid_t)atoi(de->d_name);
    if (tid == self) continue;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno != 0 || cur >= nice_v) continue;
    if (setpriority(PRIO_PROCESS, (id_t)tid, nice_v) == 0) changed++;
  }
  closedir(d);
  return changed;
}
