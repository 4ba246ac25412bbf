# help2roff.awk: one `--help` text of ours (common/cli.c's layout, printed
# from the option tables) as man(7) roff, so the man pages are made from
# the same tables as --help and cannot drift from the parser.
#
# -v heading=SH: "Options:"-style headings become .SH sections (lowerfs);
#   otherwise they are dropped: the caller has opened a .SS (ovlmig).
# -v only=options: only the option lines (lowerfs ctl).
# -v usage=1: the "usage:" lines and the prose before the first heading
#   are kept (ovlmig's commands); otherwise the page's prose says them.

# roff-safe text: backslashes escaped, no line starting a request
function text(s) {
	gsub(/\\/, "\\e", s)
	sub(/^[.']/, "\\\\&&", s)
	return s
}
# an option or command name: hyphens are minus signs in a man page
function name(s) {
	s = text(s)
	gsub(/-/, "\\-", s)
	return s
}
# "  -c,--cache DIR     help" or "      --latency MS    help": the left
# column is "-x," or blanks, "--NAME", an optional " ARG" without blanks
# or an attached optional "[=ARG]"
function option(line,    dashes, short, long, arg, help) {
	if (!match(line, /^  (-[A-Za-z0-9],|    )--[A-Za-z0-9-]+( [^ ]+|\[=[^ ]+\])? +/))
		return 0
	dashes = index(line, "--")
	short = substr(line, 3, 3)
	long = substr(line, dashes + 2, RLENGTH - dashes - 1)
	help = substr(line, RLENGTH + 1)
	sub(/ +$/, "", long)
	arg = ""
	if (index(long, " ")) {
		arg = substr(long, index(long, " ") + 1)
		long = substr(long, 1, index(long, " ") - 1)
	} else if (index(long, "[")) {
		arg = substr(long, index(long, "["))
		long = substr(long, 1, index(long, "[") - 1)
	}
	printf ".TP\n"
	if (short ~ /^-/)
		printf "\\fB%s\\fR, ", name(substr(short, 1, 2))
	printf "\\fB\\-\\-%s\\fR", name(long)
	if (arg ~ /^\[/)
		printf "[=\\fI%s\\fR]", text(substr(arg, 3, length(arg) - 3))
	else if (arg != "")
		printf " \\fI%s\\fR", text(arg)
	printf "\n%s\n", text(help)
	return 1
}
BEGIN { seen_heading = 0 }
/^$/ { next }
option($0) { next }
only == "options" { next }
/^usage: / {
	# "usage: ovlmig mount [options] TARGET": the command in bold
	if (usage)
		printf "\\fB%s %s\\fR%s\n", name($2), name($3),
		       text(substr($0, length($1 $2 $3) + 3))
	next
}
/^[A-Z][A-Za-z ]*:$/ {
	seen_heading = 1
	if (heading == "SH")
		printf ".SH \"%s\"\n", toupper(substr($0, 1, length($0) - 1))
	next
}
# "  NAME   help": a source kind or a control command
/^  [^ ]/ && seen_heading {
	item = $1
	rest = substr($0, index($0, item) + length(item))
	sub(/^ +/, "", rest)
	printf ".TP\n\\fB%s\\fR\n%s\n", name(item), text(rest)
	next
}
# prose: the command's one line of help; "Exit codes:" belongs to the page
/^Exit codes:/ { skip_rest = 1 }
skip_rest { next }
# (the usage line came first, right after the caller's .SS)
!seen_heading && usage && !/^ / { printf ".PP\n%s\n", text($0) }
