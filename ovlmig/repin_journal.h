/* SPDX-License-Identifier: MIT */
/*
 * The journal of repinning's temporary names (STATE_DIR/repin.journal):
 * what a killed migrate or detach left behind is found and undone by the
 * next one. Only names starting with REPIN_TMP_PREFIX are ever removed.
 */
#ifndef OVLMIG_REPIN_JOURNAL_H
#define OVLMIG_REPIN_JOURNAL_H

#include <sys/stat.h>

#include "../common/error.h"

/* every temporary name starts so: the only names ovlmig removes */
#define REPIN_TMP_PREFIX ".ovlmig-repin-"

/*
 * Remove the temporary names a killed migrate or detach left (recorded in
 * STATE_DIR/repin.journal), and journal new ones there from now on.
 */
int repin_journal(int rootfd, const char *state_dir, struct error **err);
/* Everything journaled is complete: forget it. */
void repin_journal_done(void);
/* For repin.c: a temporary name REL (from the overlay root) is about to
 * be made; directory DIR had times ST before our names touched it. */
void journal_temp(const char *rel);
void journal_dir_times(const char *dir, const struct stat *st);

#endif
