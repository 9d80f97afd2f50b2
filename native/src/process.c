/*
 * Process lifecycle helpers the daemon needs and Node does not offer: an exclusive advisory lock on an open
 * file (flock) and the parent-death signal (prctl). Both are owned by the kernel, so they hold even when the
 * daemon is killed with SIGKILL: the lock is released when the last descriptor of the holder closes, and the
 * parent-death signal is delivered when the process that started the daemon exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>

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
