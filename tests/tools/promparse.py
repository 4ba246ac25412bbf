#!/usr/bin/env python3
"""Strict parser of the Prometheus text exposition format 0.0.4.

promparse.py FILE: exit 1 with the first violation on stderr, else print
every sample as one line "NAME{k="v",...} VALUE" (labels sorted), for a
test to look values up with grep. Checks what a scraper relies on: the
line grammar, HELP/TYPE once per family and before its samples, a
family's samples together, no series twice, counters not negative,
histograms' buckets cumulative with +Inf equal to _count.
"""
import math
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE_RE = re.compile(r'^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?Inf$|^NaN$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


class Bad(Exception):
    pass


def parse_labels(s, i, lineno):
    """Labels from s[i] == '{'; returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == '}':
            return labels, i + 1
        m = re.compile(LABEL).match(s, i)
        if not m:
            raise Bad(f'line {lineno}: label name expected at {i}')
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad(f'line {lineno}: =" expected after {name}')
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad(f'line {lineno}: unterminated label value')
            c = s[i]
            if c == '\\':
                e = s[i + 1:i + 2]
                if e not in ('\\', '"', 'n'):
                    raise Bad(f'line {lineno}: bad escape \\{e}')
                val.append('\n' if e == 'n' else e)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                raise Bad(f'line {lineno}: raw newline in label value')
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise Bad(f'line {lineno}: label {name} twice')
        labels[name] = ''.join(val)
        if s[i] == ',':
            i += 1
        elif s[i] != '}':
            raise Bad(f'line {lineno}: , or }} expected after label {name}')


def family_of(name, types):
    for suffix in ('_bucket', '_sum', '_count'):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ('histogram', 'summary'):
            return base
    return name


def fmt(name, labels):
    inner = ','.join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f'{name}{{{inner}}}'


def parse(text):
    if text and not text.endswith('\n'):
        raise Bad('the last line has no newline')
    types, helps, done, series, out = {}, set(), set(), {}, []
    current = None
    for lineno, line in enumerate(text.split('\n')[:-1], 1):
        if line.startswith('#'):
            m = re.match(rf'^# (HELP|TYPE) ({NAME}) (.*)$', line)
            if not m:
                if line.startswith('# HELP') or line.startswith('# TYPE'):
                    raise Bad(f'line {lineno}: malformed {line!r}')
                continue
            kind, name, rest = m.groups()
            if name in done:
                raise Bad(f'line {lineno}: family {name} again after others')
            if kind == 'TYPE':
                if rest not in TYPES or name in types:
                    raise Bad(f'line {lineno}: bad or second TYPE for {name}')
                if any(family_of(s[0], {name: rest}) == name for s in series):
                    raise Bad(f'line {lineno}: TYPE of {name} after its samples')
                types[name] = rest
            else:
                if name in helps:
                    raise Bad(f'line {lineno}: second HELP for {name}')
                helps.add(name)
            if current and current != name:
                done.add(current)
            current = name
            continue
        if not line.strip():
            raise Bad(f'line {lineno}: empty line')
        m = re.compile(NAME).match(line)
        if not m:
            raise Bad(f'line {lineno}: metric name expected')
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == '{':
            labels, i = parse_labels(line, i, lineno)
        rest = line[i:]
        m = re.match(r'^ (\S+)( -?\d+)?$', rest)
        if not m or not VALUE_RE.match(m.group(1)):
            raise Bad(f'line {lineno}: bad value in {line!r}')
        value = float(m.group(1))
        fam = family_of(name, types)
        if fam in done:
            raise Bad(f'line {lineno}: {fam} samples not together')
        if current and current != fam:
            done.add(current)
        current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise Bad(f'line {lineno}: series twice: {fmt(name, labels)}')
        series[key] = value
        if types.get(fam) == 'counter' and not math.isnan(value) and value < 0:
            raise Bad(f'line {lineno}: negative counter {name}')
        out.append(f'{fmt(name, labels)} {m.group(1)}')
    check_histograms(types, series)
    return out


def check_histograms(types, series):
    for fam, t in types.items():
        if t != 'histogram':
            continue
        groups = {}
        for (name, labels), v in series.items():
            if name == fam + '_bucket':
                d = dict(labels)
                le = d.pop('le', None)
                if le is None:
                    raise Bad(f'{fam}_bucket without le')
                groups.setdefault(tuple(sorted(d.items())), []).append((float(le), v))
        for labels, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise Bad(f'{fam}{dict(labels)}: buckets not cumulative')
            if buckets[-1][0] != math.inf:
                raise Bad(f'{fam}{dict(labels)}: no +Inf bucket')
            count = series.get((fam + '_count', labels))
            if count != buckets[-1][1] or (fam + '_sum', labels) not in series:
                raise Bad(f'{fam}{dict(labels)}: _count {count} is not +Inf\'s or no _sum')


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    try:
        lines = parse(text)
    except Bad as e:
        print(f'promparse: {e}', file=sys.stderr)
        return 1
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
