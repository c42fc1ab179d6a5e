"""Parses custseg's SQL with sqlglot in a dialect, for the engines no test can run here (Trino,
BigQuery), and checks that hostile text came through quoting intact.

    python parse.py DIALECT SCORE.sql SAMPLE.sql LITERAL IDENTIFIER

Fails (exit 1) when a statement does not parse, when no string literal of SCORE.sql reads back as
LITERAL, when no identifier reads back as IDENTIFIER, or when a statement holds more than one
statement's worth of SQL (text escaped its quotes).
"""

import sys

import sqlglot
from sqlglot import exp


def main():
    dialect, score, sample, literal, ident = sys.argv[1:6]
    problems = []
    for path in (score, sample):
        text = open(path, encoding="utf-8").read()
        parts = [p for p in text.split(";\n\n") if p.strip()]
        for part in parts:
            trees = sqlglot.parse(part, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
            if len([t for t in trees if t is not None]) != 1:
                problems.append(f"{path}: a statement parsed as {len(trees)}")
            for tree in trees:
                if tree is not None and not isinstance(tree, exp.Select):
                    problems.append(f"{path}: a statement is a {type(tree).__name__}, not a SELECT")
        if path == score:
            tree = sqlglot.parse_one(text, read=dialect)
            literals = {l.this for l in tree.find_all(exp.Literal) if l.is_string}
            idents = {i.this for i in tree.find_all(exp.Identifier)}
            if literal not in literals:
                problems.append(f"{path}: no string literal reads as {literal!r}; near ones: {sorted(l for l in literals if 'th' in l)[:5]}")
            if ident not in idents:
                problems.append(f"{path}: no identifier reads as {ident!r}; near ones: {sorted(i for i in idents if 'gi' in i)[:5]}")
            tables = {".".join(p for p in (t.catalog, t.db, t.name) if p) for t in tree.find_all(exp.Table)}
            if "warehouse.sales.bills" not in tables:
                problems.append(f"{path}: no table warehouse.sales.bills among {sorted(tables)}")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
