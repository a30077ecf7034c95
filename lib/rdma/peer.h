/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A forked helper process driven in steps: each side sends one byte to
 * say a step is done and waits for the other's before going on, so the
 * two interleave exactly as a case needs (no sleeps).
 */
#ifndef PR_PEER_H
#define PR_PEER_H

#include <sys/types.h>

struct pr_peer {
	pid_t pid; /* in the parent: the child; in the child: 0 */
	int fd;	   /* this side's end of the channel */
};

/*
 * Fork.  The child runs @fn(@p, @arg) with @p set up for its side and
 * exits with what @fn returns; the parent returns 0, or -errno.
 */
int pr_peer_start(struct pr_peer *p, int (*fn)(struct pr_peer *p, void *arg),
		  void *arg);
/* Say step @step is done.  0 or -errno. */
int pr_peer_send(struct pr_peer *p, char step);
/*
 * Wait up to @ms for the other side's @step.  0; -ETIMEDOUT; -EPIPE when
 * the other side is gone; -EPROTO when it sent another step.
 */
int pr_peer_expect(struct pr_peer *p, char step, int ms);
/*
 * Parent: wait up to @ms for the child to exit, then kill it.  Returns its
 * exit status (0-255), 128 + signal if it was killed, or -errno.
 */
int pr_peer_finish(struct pr_peer *p, int ms);

#endif
