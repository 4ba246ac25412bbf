// SPDX-License-Identifier: MIT
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int cli_parser_init(struct cli_parser *p, const struct cli_option *opts,
		    size_t count)
{
	size_t i, s = 0;

	p->longopts = calloc(count + 1, sizeof(*p->longopts));
	/* "+": stop at the first operand; ":" per option with an argument */
	p->shortopts = calloc(2 * count + 2, 1);
	if (!p->longopts || !p->shortopts) {
		cli_parser_free(p);
		return -1;
	}
	p->shortopts[s++] = '+';
	for (i = 0; i < count; i++) {
		p->longopts[i].name = opts[i].name;
		p->longopts[i].has_arg = opts[i].arg ? required_argument :
						      no_argument;
		p->longopts[i].val = opts[i].key;
		if (opts[i].key < 128 && isalnum(opts[i].key)) {
			p->shortopts[s++] = (char)opts[i].key;
			if (opts[i].arg)
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

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
			 isshort ? "-" : "   ", isshort ? opts[i].key : ' ',
			 isshort ? "," : "", opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}
