// SPDX-License-Identifier: GPL-2.0
/* A forked helper and a one-byte step channel with it. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

int pr_peer_start(struct pr_peer *p, int (*fn)(struct pr_peer *p, void *arg),
		  void *arg)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		int err = -errno;

		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (!p->pid) {
		close(sv[0]);
		p->fd = sv[1];
		_exit(fn(p, arg) & 0xff);
	}
	close(sv[1]);
	p->fd = sv[0];
	return 0;
}

int pr_peer_send(struct pr_peer *p, char step)
{
	ssize_t n;

	do
		n = send(p->fd, &step, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -errno;
}

int pr_peer_expect(struct pr_peer *p, char step, int ms)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	char got;
	int rc;

	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -errno;
	if (!rc)
		return -ETIMEDOUT;
	if (read(p->fd, &got, 1) != 1)
		return -EPIPE;
	return got == step ? 0 : -EPROTO;
}

int pr_peer_finish(struct pr_peer *p, int ms)
{
	struct timespec pause = {0, 10 * 1000 * 1000};
	int status = 0;
	pid_t r = 0;

	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	if (p->pid <= 0)
		return -ECHILD;
	for (int waited = 0; waited <= ms; waited += 10) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r)
			break;
		nanosleep(&pause, NULL);
	}
	if (!r) {
		kill(p->pid, SIGKILL);
		r = waitpid(p->pid, &status, 0);
	}
	p->pid = 0;
	if (r < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
