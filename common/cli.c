// SPDX-License-Identifier: MIT
#include "cli.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_arg_optional(const struct cli_option *o)
{
	return o->arg && o->arg[0] == '[';
}

int cli_parser_init(struct cli_parser *p, const struct cli_option *opts,
		    size_t count)
{
	size_t i, s = 0;

	p->longopts = calloc(count + 1, sizeof(*p->longopts));
	/* "+": stop at the first operand; ":" per option with an argument,
	 * "::" when it is optional */
	p->shortopts = calloc(3 * count + 2, 1);
	if (!p->longopts || !p->shortopts) {
		cli_parser_free(p);
		return -1;
	}
	p->shortopts[s++] = '+';
	for (i = 0; i < count; i++) {
		p->longopts[i].name = opts[i].name;
		p->longopts[i].has_arg = !opts[i].arg ? no_argument :
					 cli_arg_optional(&opts[i]) ?
					 optional_argument : required_argument;
		p->longopts[i].val = opts[i].key;
		if (opts[i].key < 128 && isalnum(opts[i].key)) {
			p->shortopts[s++] = (char)opts[i].key;
			if (opts[i].arg)
				p->shortopts[s++] = ':';
			if (opts[i].arg && cli_arg_optional(&opts[i]))
				p->shortopts[s++] = ':';
		}
	}
	return 0;
}

void cli_parser_free(struct cli_parser *p)
{
	free(p->longopts);
	free(p->shortopts);
	p->longopts = NULL;
	p->shortopts = NULL;
}

int cli_next(struct cli_parser *p, int argc, char **argv)
{
	return getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
}

void cli_print_options(FILE *f, const struct cli_option *opts, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		char left[64];
		int isshort = opts[i].key < 128 && isalnum(opts[i].key);

		/* "--watch[=SECONDS]": an optional argument is attached */
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
			 isshort ? "-" : "   ", isshort ? opts[i].key : ' ',
			 isshort ? "," : "", opts[i].name,
			 opts[i].arg && !cli_arg_optional(&opts[i]) ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}

const struct cli_option *cli_option_of(const struct cli_command *cmd, int key)
{
	size_t i;

	for (i = 0; i < cmd->noptions; i++)
		if (cmd->options[i].key == key)
			return &cmd->options[i];
	return NULL;
}

void cli_print_synopsis(FILE *f, const char *prog,
			const struct cli_command *cmd)
{
	fprintf(f, "%s %s%s%s%s\n", prog, cmd->name,
		cmd->noptions > 1 ? " [options]" : "",
		*cmd->operands ? " " : "", cmd->operands);
}

void cli_print_help(FILE *f, const char *prog, const struct cli_command *cmd)
{
	fprintf(f, "usage: ");
	cli_print_synopsis(f, prog, cmd);
	fprintf(f, "\n%s\n\nOptions:\n", cmd->help);
	cli_print_options(f, cmd->options, cmd->noptions);
}

static int usage(const char *prog, const struct cli_command *cmd)
{
	fprintf(stderr, "usage: ");
	cli_print_synopsis(stderr, prog, cmd);
	fprintf(stderr, "`%s %s --help` for the options.\n", prog, cmd->name);
	return CLI_USAGE;
}

int cli_parse(const char *prog, const struct cli_command *cmd, int argc,
	      char **argv, int (*option)(void *ctx, int key, const char *arg),
	      void *ctx)
{
	struct cli_parser p;
	char **ops = calloc((size_t)argc + 1, sizeof(*ops));
	int c, n = 0, ret = 0, i;

	if (!ops || cli_parser_init(&p, cmd->options, cmd->noptions) < 0) {
		free(ops);
		fprintf(stderr, "%s %s: out of memory\n", prog, cmd->name);
		return CLI_USAGE;
	}
	optind = 1;
	opterr = 0;	/* said below, with the program's name */
	/* "+" stops at each operand: take it and go on after it */
	while (ret == 0 && optind < argc) {
		c = cli_next(&p, argc, argv);
		if (c == -1) {
			/* after "--" everything is an operand */
			bool rest = !strcmp(argv[optind - 1], "--");

			while (optind < argc) {
				ops[n++] = argv[optind++];
				if (!rest)
					break;
			}
		} else if (c == 'h' && cli_option_of(cmd, 'h')) {
			cli_print_help(stdout, prog, cmd);
			ret = CLI_HELP;
		} else if (c == '?' || c == ':') {
			fprintf(stderr, "%s %s: %s '%s'\n", prog, cmd->name,
				c == '?' ? "unknown option" : "missing argument for",
				argv[optind - 1]);
			ret = usage(prog, cmd);
		} else if (!option ||
			   option(ctx, c, cli_option_of(cmd, c)->arg ? optarg : NULL) < 0) {
			fprintf(stderr, "%s %s: bad value '%s' for --%s\n", prog,
				cmd->name, optarg ? optarg : "",
				cli_option_of(cmd, c)->name);
			ret = usage(prog, cmd);
		}
	}
	cli_parser_free(&p);
	if (ret == 0 && (n < cmd->min_operands || n > cmd->max_operands))
		ret = usage(prog, cmd);
	for (i = 0; ret == 0 && i < n; i++)
		argv[i + 1] = ops[i];
	free(ops);
	return ret ? ret : n;
}
