/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memfd_secret() memory (5.14, 1507f51255c9): mapped only into the
 * process that made it, never reachable by GUP, so every pin source must
 * be refused on it.  Some kernels create it only with secretmem.enable=1
 * on the command line (ENOSYS otherwise).
 */
#ifndef PR_SECRETMEM_H
#define PR_SECRETMEM_H

#include <stddef.h>

/* Map @len bytes of secret memory at *@addr.  0 or -errno. */
int pr_secretmem_map(size_t len, void **addr);

#endif
