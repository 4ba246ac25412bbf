/* SPDX-License-Identifier: MIT */
/*
 * Command-line options declared once in a table (name, key, argument,
 * one-line help), from which both getopt_long's tables and the help text
 * are made, so they never drift apart.
 */
#ifndef OVLMIG_CLI_H
#define OVLMIG_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

struct cli_option {
	const char *name;	/* long name, without "--" */
	int key;		/* a printable char is also the short option */
	const char *arg;	/* argument name, NULL if none */
	const char *help;
};

/* Parser state built from a table; free with cli_parser_free(). */
struct cli_parser {
	struct option *longopts;
	char *shortopts;
};

int cli_parser_init(struct cli_parser *p, const struct cli_option *opts,
		    size_t count);
void cli_parser_free(struct cli_parser *p);
/* getopt_long over the table; same return values. */
int cli_next(struct cli_parser *p, int argc, char **argv);
void cli_print_options(FILE *f, const struct cli_option *opts, size_t count);

#endif
