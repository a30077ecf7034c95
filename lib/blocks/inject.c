// SPDX-License-Identifier: GPL-2.0
/* Faults injected into what a live race read: see inject.h. */
#include <stdint.h>

#include "inject.h"

int pr_inject_block(void *blk, size_t bs, enum pr_inject kind,
		    const struct pr_stamp *s, uint32_t other_id)
{
	unsigned char *p = blk;
	struct pr_stamp t = *s;

	switch (kind) {
	case PR_INJ_TORN:
		p[bs / 2] ^= 0x01;
		return 0;
	case PR_INJ_CORRUPT:
		p[offsetof(struct pr_blk_hdr, offset)] ^= 0x10;
		return 0;
	case PR_INJ_STALE:
		if (s->gen < 2)
			return -1;
		t.gen--;
		break;
	case PR_INJ_CROSS:
		t.file_id = other_id;
		break;
	default:
		return -1;
	}
	pr_blk_fill(blk, bs, &t);
	return 0;
}

const char *pr_inject_name(enum pr_inject kind)
{
	static const char *const names[] = {
		[PR_INJ_NONE] = "nothing",
		[PR_INJ_TORN] = "a torn block",
		[PR_INJ_CORRUPT] = "a corrupt header",
		[PR_INJ_STALE] = "a stale block",
		[PR_INJ_CROSS] = "another file's block",
	};

	return kind <= PR_INJ_CROSS ? names[kind] : "?";
}
