/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An MR over the case's file: the file (and a second one when the layout
 * operation needs a source), the device with a bounce buffer as large as
 * the file, and the registration in the case's MR mode.  Shared by the
 * deterministic and the race bodies.  A mode of another pin source
 * (lib/pin/pin.h: cpu, io_uring, vmsplice, odirect) opens no RDMA device:
 * its ops pin the mapping and move the data.  Closing checks that the
 * FOLL_PIN counters came back to where they were at the open (else
 * pin-leak), refused and failed registrations included.
 */
#ifndef PR_MRFILE_H
#define PR_MRFILE_H

#include "backing.h"
#include "pin.h"
#include "pinrace.h"
#include "verbs.h"
#include "vmstat.h"

struct pr_mrfile {
	struct pr_file f;   /* file id 1 */
	struct pr_file src; /* file id 2, when the operation needs one */
	struct pr_rdma rdma;
	struct ibv_mr *mr;
	const struct pr_mr_mode *mode;
	struct pr_pin pin; /* a source other than RDMA */
	void *buf;	   /* the device's side: rdma.buf, or the pin's */
	struct pr_result *res;
	struct pr_pins pins0; /* FOLL_PIN counters at the open */
	int pins_ok;	      /* pins0 was read */
	int borrowed;	      /* f.map is the caller's (pr_mrfile_open_mem) */
};

/*
 * Create the files (the first mapped with @map_flags), open the device.
 * 0, or -1 with the case's result set to an error.
 */
int pr_mrfile_open(struct pr_mrfile *m, struct pr_ctx *ctx,
		   const struct pr_case *c, int map_flags,
		   struct pr_result *res);
/*
 * The same over memory the caller mapped (@addr, @len bytes, named @what:
 * "memfd_secret"), no files; the caller unmaps it after the close.
 */
int pr_mrfile_open_mem(struct pr_mrfile *m, struct pr_ctx *ctx,
		       const struct pr_case *c, void *addr, size_t len,
		       const char *what, struct pr_result *res);
/*
 * Register the first file's mapping in the case's MR mode.  0, or -1 when
 * the kernel refused (recorded with its errno: a protection).
 */
int pr_mrfile_register(struct pr_mrfile *m, const struct pr_case *c,
		       struct pr_result *res);
/*
 * Start the device side afresh (QPs, bounce buffer, registration), e.g.
 * after a completion error moved the QPs to the error state.  0 or -1
 * with the result set.  A pin source has nothing to restart (its
 * registration outlives a failed transfer): 0.
 */
int pr_mrfile_reopen(struct pr_mrfile *m, struct pr_ctx *ctx,
		     const struct pr_case *c, struct pr_result *res);
/*
 * One device transfer, RDMA or the pin source's: @write 0 reads [@off,
 * +@len) of the registered range into the start of m->buf, 1 writes it
 * from there.  Returns what pr_rdma_xfer() returns.
 */
int pr_mrfile_xfer(struct pr_mrfile *m, int write, size_t off, size_t len,
		   int timeout_ms, char *err, size_t errlen);
/* The same waited for the profile's completion timeout, into the case's
 * result: a success is counted, a failure is an error.  0 or -1. */
int pr_mrfile_xfer_checked(struct pr_mrfile *m, struct pr_ctx *ctx, int write,
			   size_t off, size_t len);
/* "RDMA READ", "io_uring WRITE"...: the transfer, named for reports. */
const char *pr_mrfile_xfer_name(const struct pr_mrfile *m, int write);
void pr_mrfile_close(struct pr_mrfile *m);

#endif
