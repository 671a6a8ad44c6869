"""Command-line tasks: migrate, create the first admin, load demo data, back up and restore."""
import os
import sys

import click
from cryptography.hazmat.primitives import serialization
from playhouse.migrations import Runner
from py_vapid import Vapid01
from py_vapid.utils import b64urlencode

from . import backup
from .accounts.models import Region
from .accounts.services import create_admin
from .config import ROOT
from .db import db, utcnow
from .demo import DEMO_LOGINS, has_data, load_demo
from .push import reminders, sender

# `flask backup` exits with this (EX_TEMPFAIL) when another backup holds the folder's lock.
BACKUP_BUSY_EXIT = 75


def migrate_database():
    """Apply pending migrations; return their names."""
    db.connect(reuse_if_open=True)
    try:
        return Runner(db.obj, str(ROOT / "migrations")).up()
    finally:
        db.close()


def init_app(app):
    """Register the CLI commands."""

    @app.cli.command("migrate")
    def migrate_command():
        """Apply pending database migrations."""
        applied = migrate_database()
        click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")

    @app.cli.command("create-admin")
    @click.option("--name", required=True)
    @click.option("--login", required=True, help="phone number or username")
    @click.option("--region", "region_name", required=True, help="city or county name")
    @click.option("--kind", type=click.Choice(["city", "county"]), default="city")
    @click.option("--parent", "parent_name", default=None, help="city of a new county")
    @click.option("--population", type=int, default=None)
    @click.password_option()
    def create_admin_command(name, login, region_name, kind, parent_name, population, password):
        """Create a city (or county) administrator, creating the region if needed."""
        db.connect(reuse_if_open=True)
        with db.atomic():
            parent = None
            if kind == "county":
                parent = Region.get_or_none(Region.name == parent_name, Region.kind == "city")
                if parent is None:
                    raise click.UsageError("--parent must name an existing city for a county")
            region, _ = Region.get_or_create(name=region_name, kind=kind, parent=parent,
                                             defaults={"population": population})
            user = create_admin(name, login, password, f"{kind}_admin", region)
        click.echo(f"created {kind} admin {user.name} ({login}) for {region.name}")

    @app.cli.command("load-demo")
    @click.option("--if-empty", is_flag=True, help="do nothing when data exists")
    def load_demo_command(if_empty):
        """Load the demo city (three counties, firms, people, a year of records)."""
        db.connect(reuse_if_open=True)
        if has_data():
            if if_empty:
                click.echo("demo data already present")
                print_logins()
                return
            raise click.UsageError("the database already has data")
        logins = load_demo()
        click.echo("demo data loaded")
        print_logins(logins)

    @app.cli.command("demo-logins")
    def demo_logins_command():
        """Print the demo logins."""
        print_logins()

    @app.cli.command("send-reminders")
    @click.option("--dry-run", is_flag=True, help="list what would be sent; change nothing")
    def send_reminders_command(dry_run):
        """Write the reminders now due and push the outbox (run from cron every few minutes)."""
        db.connect(reuse_if_open=True)
        now = utcnow()
        # Reminders link to pages: url_for needs a request, and paths need no host.
        with app.test_request_context("/"):
            due = reminders.find_due(now)
            said = [item for item in due if not item.silent]
            if dry_run:
                for item in said:
                    click.echo(f"would remind {item.user.name}: {reminders.message_for(item)}")
            written = 0 if dry_run else reminders.write(due)
            # What this run wrote is due now too (its rows were stamped after `now`).
            report = sender.drain(utcnow(), dry_run=dry_run)
        if dry_run:
            for name, message in report.would_send:
                click.echo(f"would push to {name}: {message}")
            click.echo(f"dry run: {len(said)} reminders due, {len(report.would_send)} pushes due"
                       + (" (quiet hours: they wait)" if report.held else ""))
            return
        click.echo(f"reminders written: {written}; pushed: {report.sent}, retry later: "
                   f"{report.retried}, failed: {report.failed}, gone: {report.gone}, "
                   f"waiting for quiet hours to end: {report.held}")

    @app.cli.command("backup")
    @click.option("--to", "target", type=click.Path(file_okay=False), default=None,
                  help="folder for the archive (default: BACKUP_DIR, instance/backups)")
    @click.option("--keep-daily", type=click.IntRange(min=0), default=None,
                  help="keep the newest backup of each of the last N days (default 14)")
    @click.option("--keep-monthly", type=click.IntRange(min=0), default=None,
                  help="keep the first backup of each of the last M months (default 6)")
    def backup_command(target, keep_daily, keep_monthly):
        """Back up the database and the uploaded files into one archive; prune old ones."""
        try:
            result = backup.make_backup(app, target, keep_daily=keep_daily,
                                        keep_monthly=keep_monthly)
        except backup.BackupBusy as exc:
            click.echo(f"backup skipped: {exc}", err=True)
            click.get_current_context().exit(BACKUP_BUSY_EXIT)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        manifest = result.manifest
        files = sum(1 for name in manifest["files"] if name.startswith(backup.FILES_PREFIX))
        click.echo(f"backup written: {result.path} ({_size(os.path.getsize(result.path))})")
        click.echo(f"  {manifest['engine']} at {manifest['migration_level']}: "
                   f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows; "
                   f"{files} uploaded files")
        for name in result.pruned:
            click.echo(f"  removed old backup {name}")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True,
                  help="replace a database that holds data (it is backed up first)")
    def restore_command(file, force):
        """Restore a backup archive into the configured database and upload folder.

        Stop the app first. The archive is checked before anything changes."""
        try:
            result = backup.restore_backup(app, file, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        manifest = result.manifest
        if result.safety_backup:
            click.echo(f"the data it replaced was backed up first: {result.safety_backup}")
        click.echo(f"restored the backup of {manifest['created_at']} "
                   f"({manifest['engine']} at {manifest['migration_level']}): "
                   f"{len(result.tables)} tables, {sum(result.tables.values())} rows "
                   f"(counts match the manifest), {result.files} files")
        known = {path.stem for path in (ROOT / "migrations").glob("[0-9]*.py")}
        newer = [name for name in manifest.get("migrations", []) if name not in known]
        if newer:
            click.echo(f"  warning: the backup comes from a newer version of the app "
                       f"(migrations {', '.join(newer)}); run that version with it")
        if result.extra_files:
            click.echo(f"  {result.extra_files} files already in the upload folder are not in "
                       f"the backup; they were left as they are")
        click.echo("next: `flask --app webapp migrate` (applies what is newer than the backup), "
                   "then start the app")

    @app.cli.command("gen-vapid")
    def gen_vapid_command():
        """Print a new VAPID key pair for Web Push (put them in the environment)."""
        key = Vapid01()
        key.generate_keys()
        raw = key.public_key.public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
        priv = key.private_key.private_numbers().private_value.to_bytes(32, "big")
        click.echo(f"VAPID_PUBLIC_KEY={b64urlencode(raw)}")
        click.echo(f"VAPID_PRIVATE_KEY={b64urlencode(priv)}")


def print_logins(logins=None):
    """Print the demo logins as a table."""
    if logins is None:
        logins = DEMO_LOGINS
    port = os.environ.get("PORT", "5000")
    click.echo("")
    click.echo(f"Grassroots Ledger is at http://127.0.0.1:{port}  — demo logins:")
    for role, login, password in logins:
        click.echo(f"  {login:<13} {password:<10} {role}")
    click.echo("")
    sys.stdout.flush()


def _size(n):
    """A byte count for people (KB, MB, GB)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
