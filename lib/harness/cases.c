// SPDX-License-Identifier: GPL-2.0
/* Case expansion and isolated, time-boxed execution. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backing.h"
#include "cases.h"
#include "layout.h"
#include "mrmode.h"

#define AXIS_LEN(arr) count_ptrs((const void *const *)(arr))

static int count_ptrs(const void *const *arr)
{
	int n = 0;

	while (arr && arr[n])
		n++;
	return arr ? n : 1; /* an absent axis counts as one NULL entry */
}

static int count_variants(const struct pr_variant *v)
{
	int n = 0;

	while (v && v[n].name)
		n++;
	return v ? n : 1;
}

static void name_case(struct pr_case *c)
{
	const char *parts[4] = {
		c->backing ? c->backing->name : NULL,
		c->mr ? c->mr->name : NULL,
		c->op ? c->op->name : NULL,
		c->variant ? c->variant->name : NULL,
	};
	size_t used = 0;

	c->name[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (parts[i] && used < sizeof(c->name))
			used += snprintf(c->name + used, sizeof(c->name) - used,
					 "%s%s", used ? "/" : "", parts[i]);
}

struct pr_case *pr_cases_expand(const struct pr_test *t, int *n)
{
	int nb = AXIS_LEN(t->backings), nm = AXIS_LEN(t->mrs);
	int no = AXIS_LEN(t->ops), nv = count_variants(t->variants);
	struct pr_case *cs = calloc(nb * nm * no * nv + 1, sizeof(*cs));
	int k = 0;

	if (!cs)
		return NULL;
	for (int b = 0; b < nb; b++)
		for (int m = 0; m < nm; m++)
			for (int o = 0; o < no; o++)
				for (int v = 0; v < nv; v++, k++) {
					struct pr_case *c = &cs[k];

					c->backing = t->backings
							     ? t->backings[b]
							     : NULL;
					c->mr = t->mrs ? t->mrs[m] : NULL;
					c->op = t->ops ? t->ops[o] : NULL;
					c->variant = t->variants
							     ? &t->variants[v]
							     : NULL;
					name_case(c);
				}
	*n = k;
	return cs;
}

unsigned int pr_case_needs(const struct pr_test *t, const struct pr_case *c)
{
	return t->needs | (c->backing ? c->backing->needs : 0) |
	       (c->mr ? c->mr->needs : 0) | (c->op ? c->op->needs : 0) |
	       (c->variant ? c->variant->needs : 0);
}

const char *pr_case_source(const struct pr_test *t, const struct pr_case *c)
{
	if (c->mr && c->mr->source)
		return c->mr->source;
	if (c->mr || pr_case_needs(t, c) & PR_NEED_RDMA)
		return "rdma";
	return t->source ? t->source : "none";
}

static volatile pid_t running;

void pr_case_interrupt(void)
{
	if (running > 0)
		kill(-running, SIGKILL);
}

static void child(struct pr_ctx *ctx, struct pr_result *res, pid_t harness)
{
	/*
	 * A harness killed outright (SIGKILL) cannot stop its case: the case
	 * dies with it rather than live on, holding the harness's stdout.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != harness)
		_exit(1);
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	ctx->test->body(ctx, ctx->cs, res);
	fflush(stdout);
	_exit(0);
}

static int wait_deadline(pid_t pid, int *wstatus, long ms)
{
	struct timespec pause = {0, 20 * 1000 * 1000};

	for (long waited = 0; waited <= ms; waited += 20) {
		pid_t r = waitpid(pid, wstatus, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
		nanosleep(&pause, NULL);
	}
	return 1;
}

/*
 * Past its timeout a case gets SIGTERM (it may clean up), and this many
 * seconds later SIGKILL; its result says which one ended it.
 */
#define PR_TERM_GRACE_S 3

const char *pr_killed_by_name(int sig)
{
	return sig == SIGKILL	? "SIGKILL"
	       : sig == SIGTERM ? "SIGTERM"
	       : sig == SIGINT	? "SIGINT"
				: NULL;
}

/* Stop the group of @pid at its timeout; 0, or -1 if it cannot be reaped. */
static int stop_case(pid_t pid, int *wstatus, int timeout,
		     struct pr_result *res)
{
	res->status = PR_ERROR;
	pr_note(res, "TIMEOUT %d seconds", timeout);
	kill(-pid, SIGTERM);
	res->killed_by = SIGTERM;
	if (!wait_deadline(pid, wstatus, PR_TERM_GRACE_S * 1000L)) {
		pr_note(res, "SIGTERM ended it");
		return 0;
	}
	kill(-pid, SIGKILL);
	res->killed_by = SIGKILL;
	pr_note(res, "still running %d s after SIGTERM: SIGKILL",
		PR_TERM_GRACE_S);
	if (!wait_deadline(pid, wstatus, 30000))
		return 0;
	pr_note(res,
		"pid %d could not be killed: probable kernel bug (task stuck in the kernel)",
		pid);
	return -1;
}

int pr_case_run(struct pr_ctx *ctx, int timeout, struct pr_result *res)
{
	int wstatus = 0, rc;
	pid_t pid, harness;

	fflush(stdout);
	harness = getpid();
	pid = fork();
	if (pid < 0) {
		pr_error(res, errno, "fork: %s", strerror(errno));
		return 0;
	}
	if (!pid)
		child(ctx, res, harness);
	setpgid(pid, pid);
	running = pid;
	rc = wait_deadline(pid, &wstatus, timeout * 1000L);
	if (rc == 1) {
		if (stop_case(pid, &wstatus, timeout, res)) {
			running = 0;
			return -1;
		}
	} else if (rc == 0 && WIFSIGNALED(wstatus)) {
		pr_error(res, 0, "case process killed by signal %d (%s)",
			 WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
	} else if (rc == 0 && WEXITSTATUS(wstatus)) {
		pr_error(res, 0, "case process exited with %d",
			 WEXITSTATUS(wstatus));
	}
	kill(-pid, SIGKILL); /* helpers it may have left behind */
	running = 0;
	if (ctx->cs->backing)
		pr_backing_sweep(pr_backing_dir(ctx->cs->backing), pid);
	return 0;
}
