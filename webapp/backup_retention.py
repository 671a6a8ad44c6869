"""Which backup archives to keep: the newest of each recent day, the first of each recent month.

Archives are named `ledger-YYYYMMDDTHHMMSSZ.tar.gz` (UTC; `-N` added when two share a second),
so a folder's listing says when each was made without opening it (webapp/backup.py writes
them and calls `prune_backups` after each new one).
"""
import datetime
import os
import re

NAME_RE = re.compile(r"^ledger-(\d{8}T\d{6}Z)(?:-(\d+))?\.tar\.gz$")


def list_backups(target_dir):
    """The backups of a folder as (UTC datetime, name), oldest first (other files ignored)."""
    found = []
    for name in os.listdir(target_dir) if os.path.isdir(target_dir) else ():
        match = NAME_RE.match(name)
        if match:
            when = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.UTC)
            found.append((when, int(match.group(2) or 1), name))
    return [(when, name) for when, _n, name in sorted(found)]


def to_keep(backups, keep_daily, keep_monthly, zone):
    """Choose the backups retention keeps: a set of names.

    The newest backup of each of the last keep_daily days that have a backup, and the first
    backup of each of the last keep_monthly months that have one (days and months in the
    app's time zone). Counting periods that have backups, not calendar days, means a server
    that was off for a while still keeps its last good backups."""
    days, months = {}, {}
    for when, name in backups:  # oldest first
        local = when.astimezone(zone)
        days[local.date()] = name  # the newest of the day wins
        months.setdefault((local.year, local.month), name)  # the first of the month stays
    keep = {days[d] for d in sorted(days, reverse=True)[:keep_daily]}
    keep |= {months[m] for m in sorted(months, reverse=True)[:keep_monthly]}
    return keep


def prune_backups(target_dir, keep_daily, keep_monthly, zone, protect=()):
    """Delete the backups retention does not keep (never those in protect); return their names."""
    backups = list_backups(target_dir)
    keep = to_keep(backups, keep_daily, keep_monthly, zone) | set(protect)
    removed = []
    for _when, name in backups:
        if name not in keep:
            os.remove(os.path.join(target_dir, name))
            removed.append(name)
    return removed
