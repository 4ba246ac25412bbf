/* SPDX-License-Identifier: MIT */
/*
 * Command-line options declared once in a table (name, key, argument,
 * one-line help), from which both getopt_long's tables and the help text
 * are made, so they never drift apart.
 */
#ifndef OVLMIG_CLI_H
#define OVLMIG_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_option {
	const char *name;	/* long name, without "--" */
	int key;		/* a printable char is also the short option */
	const char *arg;	/* argument name, NULL if none; "[=NAME]":
				   optional, given as --name=VALUE only */
	const char *help;
};

/* Parser state built from a table; free with cli_parser_free(). */
struct cli_parser {
	struct option *longopts;
	char *shortopts;
};

/* Is O's argument optional ("[=NAME]")? */
bool cli_arg_optional(const struct cli_option *o);
int cli_parser_init(struct cli_parser *p, const struct cli_option *opts,
		    size_t count);
void cli_parser_free(struct cli_parser *p);
/* getopt_long over the table; same return values. */
int cli_next(struct cli_parser *p, int argc, char **argv);
void cli_print_options(FILE *f, const struct cli_option *opts, size_t count);

/*
 * A subcommand: its name, operands and one line of help, its option table
 * (which lists "help" too) and how many operands it takes. The same table
 * drives parsing, `--help` and the program's list of commands.
 */
struct cli_command {
	const char *name;
	const char *operands;	/* synopsis, e.g. "TARGET" or "[TARGET]" */
	const char *help;	/* one line */
	const struct cli_option *options;
	size_t noptions;
	int min_operands, max_operands;
	int (*run)(int argc, char **argv);
};

enum {
	CLI_USAGE = -1,		/* bad usage; said on stderr */
	CLI_HELP = -2,		/* --help printed on stdout */
};

/*
 * Parse ARGV (ARGV[0]: the command's name) by CMD's table. Options may
 * come before, between or after the operands. OPTION is called for every
 * option but --help, with its key and argument; a negative return is a
 * bad value. The operands are moved to ARGV[1..]; returns their count,
 * or CLI_USAGE or CLI_HELP. PROG names the program in messages.
 */
int cli_parse(const char *prog, const struct cli_command *cmd, int argc,
	      char **argv, int (*option)(void *ctx, int key, const char *arg),
	      void *ctx);
/* "PROG NAME [options] OPERANDS" and a newline. */
void cli_print_synopsis(FILE *f, const char *prog,
			const struct cli_command *cmd);
/* "usage: " and the synopsis, the help line, the options. */
void cli_print_help(FILE *f, const char *prog, const struct cli_command *cmd);
/* The option of CMD with KEY, or NULL. */
const struct cli_option *cli_option_of(const struct cli_command *cmd, int key);

#endif
