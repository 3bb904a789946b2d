#!/bin/sh
# kernel-only: the harness runs it on the host itself, with REAL_BIN, to
# compare (tests/harness/tests/programs.rs).
# Real programs and their workloads, each printed under "== NAME" for the
# harness to compare with the same run on the host: an HTTP server with
# 100 concurrent keep-alive clients on tokio, a parallel sort and sum on
# rayon, transactions on a redb database file, ripgrep over a tree of
# files, perl with threads, files and subprocesses, and sqlite3. Each
# program prints "workload NAME MS ms" on stderr (not compared).
bin=${REAL_BIN:-/usr/local/bin}
work=${REAL_WORK:-/tmp/real}
rm -rf "$work"
mkdir -p "$work/tree/a/b" "$work/tree/c"
cd "$work" || exit 1
# The server and its clients meet on the loopback interface (a guest's
# init leaves it down, as Linux's does).
ifconfig lo 127.0.0.1 up 2>/dev/null

echo "== httpd"
"$bin/httpd" 8123 100 20
echo "== parsum"
"$bin/parsum" 1000000
echo "== kvdb"
"$bin/kvdb" "$work/records.redb" 10000

echo "== ripgrep"
i=0
while [ $i -lt 200 ]; do
    echo "line $i of the kestrel tree" >> "$work/tree/a/b/deep.txt"
    echo "another line $i" >> "$work/tree/c/other.txt"
    [ $((i % 7)) -eq 0 ] && echo "kestrel $i" >> "$work/tree/c/other.txt"
    i=$((i + 1))
done
"$bin/rg" --sort path -c kestrel "$work/tree" | sed "s|$work/||"
"$bin/rg" --sort path -n 'kestrel 19[0-9]' "$work/tree" | sed "s|$work/||"

echo "== perl"
perl -e '
    use strict;
    use warnings;
    use threads;
    my @workers = map { my $n = $_; threads->create(sub { my $s = 0; $s += $_ * $n for 1 .. 10000; $s }) } 1 .. 4;
    my @sums = map { $_->join } @workers;
    print "threads: @sums\n";
    open(my $out, ">", "perl.txt") or die "open: $!";
    print $out "$_\n" for reverse 1 .. 1000;
    close $out;
    open(my $in, "<", "perl.txt") or die "open: $!";
    my @lines = sort { $a <=> $b } <$in>;
    close $in;
    print "file: ", scalar(@lines), " lines, first $lines[0]";
    my $child = `echo from a subprocess; exit 3`;
    print "subprocess: $child", "exit status: ", $? >> 8, "\n";
'

echo "== sqlite3"
sqlite3 "$work/shop.db" "
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price INTEGER);
    BEGIN;
    INSERT INTO items (name, price) VALUES ('kettle', 25), ('lamp', 40), ('chair', 60);
    COMMIT;
    BEGIN;
    INSERT INTO items (name, price) VALUES ('never', 1);
    ROLLBACK;
    CREATE INDEX by_price ON items (price);
    SELECT count(*), sum(price) FROM items;
    SELECT name FROM items WHERE price > 30 ORDER BY price DESC;
"
echo "== end"
