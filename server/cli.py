"""The `rendezvous` command: serve, check, doctor, invite, outbox, mail preview, calendars,
migrate, export, import."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from server import config, vocabulary
from server import serve as serving
from server.config.warnings import rule_warnings
from server.origins import origin_of
from server.settings import Settings

EXIT_OK = 0
EXIT_NOTHING_BOOKABLE = 1
EXIT_INVALID = 2


def _load_or_exit(path: Path) -> config.LoadedOrganisation:
    try:
        return config.load(path)
    except config.ConfigError as exc:
        print(f"{path}: {len(exc.issues)} problem(s):", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None
    except OSError as exc:
        print(f"{path}: cannot read the file: {exc.strerror}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None


def cmd_check(args: argparse.Namespace) -> int:
    path = Path(args.file)
    loaded = _load_or_exit(path)
    _secrets_or_exit(path, loaded)
    print(config.summary(loaded))
    # Warnings: the file is valid (exit 0), but these rules can never be met.
    found = rule_warnings(loaded)
    if found:
        print(f"\n{len(found)} warning(s): rules that can never be met")
        print("\n".join(str(issue) for issue in found))
    return EXIT_OK


def _secrets_or_exit(path: Path, loaded: config.LoadedOrganisation) -> None:
    """Webhook secrets (SPEC 10) and calendar addresses and passwords (SPEC 12) missing
    from the environment are reported like the file's own problems: at start and by
    `check`, not at the first delivery or read."""
    from server.calendars.links import secret_problems as calendar_secret_problems
    from server.deliveries.webhooks import secret_problems

    problems = secret_problems(loaded.organisation.webhooks, os.environ)
    problems += calendar_secret_problems(loaded.organisation.agents, os.environ)
    if problems:
        print(f"{path}: {len(problems)} problem(s):", file=sys.stderr)
        print("\n".join(str(problem) for problem in problems), file=sys.stderr)
        raise SystemExit(EXIT_INVALID)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_environ()
    host = args.host or settings.host
    port = args.port or settings.port
    if args.workers < 1:
        print("--workers: expected 1 or more", file=sys.stderr)
        return EXIT_INVALID
    forwarded = args.forwarded_allow_ips
    if forwarded is None:
        forwarded = settings.forwarded_allow_ips
    # Refuse to start on an invalid file, with the same messages as `check`.
    loaded = _load_or_exit(settings.config_path)
    _secrets_or_exit(settings.config_path, loaded)
    mail = _mail_or_exit(settings, loaded)
    os.environ["RENDEZVOUS_CONFIG"] = str(settings.config_path)
    base = f"http://{host}:{port}"
    section = loaded.organisation.organisation
    name = vocabulary.text(section.name, section.languages[0], section.languages[0])
    http, loop = serving.implementations(args.http, args.loop)
    clients = f"X-Forwarded-For from {forwarded}" if forwarded else "the connection's (no proxy)"
    print(
        f"Rendezvous is serving {name!r} "
        f"(organisation file {settings.config_path}, version {loaded.version})\n"
        f"  booking page:      {base}/book\n"
        f"  bookings:          {_bookings(settings)}\n"
        f"  agents' desk:      {base}/desk\n"
        f"  health:            {base}/healthz\n"
        f"  API description:   {base}/api/v1/openapi.json\n"
        f"  e-mails:           {mail}\n"
        f"  processes:         {args.workers} worker(s), {http} on {loop}\n"
        f"  client addresses:  {clients}\n",
        flush=True,
    )
    public = section.public_url.rstrip("/")
    if origin_of(public) != origin_of(base):
        print(
            f"  note: links in confirmations and invites point to {public}"
            " (organisation.public_url), not to this address\n",
            flush=True,
        )
    return serving.serve(
        serving.ServeOptions(
            host=host,
            port=port,
            workers=args.workers,
            log_level=args.log_level,
            forwarded_allow_ips=forwarded or None,
            http=http,
            loop=loop,
        )
    )


def _bookings(settings: Settings) -> str:
    """Where the bookings are, for the banner: never the database password."""
    if settings.database_url is not None:
        from server.store import describe

        return f"{describe(settings.database_url)} (PostgreSQL)"
    return f"{settings.database_path} (stop, delete it to start afresh)"


def _mail_or_exit(settings: Settings, loaded: config.LoadedOrganisation) -> str:
    """Where e-mails go, for the banner; exit 2 on a bad RENDEZVOUS_SMTP_URL."""
    from server.deliveries.worker import mail_transport

    try:
        transport = mail_transport(settings)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(EXIT_INVALID) from None
    if loaded.organisation.organisation.notifications is None:
        return "off (the organisation file has no [organisation.notifications])"
    return transport.describe()


def cmd_outbox(args: argparse.Namespace) -> int:
    """Pending and failed deliveries; with --retry ID, send one again now."""
    import asyncio
    from datetime import UTC, datetime

    from server.deliveries import operator

    settings = Settings.from_environ()
    now = datetime.now(UTC)
    if args.retry is None:
        print(asyncio.run(operator.listing(settings, now)))
        return EXIT_OK
    _load_or_exit(settings.config_path)
    code, text = asyncio.run(operator.retry(settings, args.retry, now))
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


def cmd_mail_preview(args: argparse.Namespace) -> int:
    """Render one e-mail on sample values into files a person can open."""
    from datetime import UTC, datetime

    from server.deliveries import preview
    from server.deliveries.kinds import EMAIL_KINDS
    from server.snapshot import Snapshot
    from server.tokens import Tokens

    settings = Settings.from_environ()
    loaded = _load_or_exit(settings.config_path)
    if args.kind not in EMAIL_KINDS:
        print(f"KIND: expected one of {', '.join(EMAIL_KINDS)}", file=sys.stderr)
        return EXIT_INVALID
    snapshot = Snapshot.build(loaded)
    lang = args.language or snapshot.default_language
    known = sorted({*snapshot.languages, *snapshot.email_templates.languages})
    if lang not in known:
        print(f"--language: expected one of {', '.join(known)}", file=sys.stderr)
        return EXIT_INVALID
    directory = Path(args.output) if args.output else settings.database_path.parent / "mail-preview"
    # A throwaway key: the preview's manage link must not be a working one.
    tokens = Tokens("preview-only-" + "x" * 32)
    found = preview.render(snapshot, tokens, args.kind, lang, directory, datetime.now(UTC))
    print(
        f"{args.kind} in {lang}: {found.subject}\n"
        f"  the message (open it in a mail client): {found.eml.resolve()}\n"
        f"  its HTML part (open it in a browser):   {found.html.resolve()}"
    )
    return EXIT_OK


def cmd_invite(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from server.booking import invites
    from server.snapshot import Snapshot
    from server.store import InviteRow, open_store
    from server.tokens import Tokens, load_or_create_secret

    settings = Settings.from_environ()
    loaded = _load_or_exit(settings.config_path)
    try:
        lifetime = invites.parse_duration(args.expires)
    except ValueError as exc:
        print(f"--expires: {exc}", file=sys.stderr)
        return EXIT_INVALID
    choices = {
        "agent": args.agent,
        "subject": args.subject,
        "meeting_type": args.meeting_type,
        "office": args.office,
        "customer_email": args.customer_email,
    }
    snapshot = Snapshot.build(loaded)
    wrong = invites.problems(snapshot, **choices)
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        return EXIT_INVALID
    tokens = Tokens(load_or_create_secret(settings.database_path, settings.secret_key))
    now = datetime.now(UTC)

    async def store_invite() -> InviteRow:
        # Stored, so that the link carries only an id and can be revoked (docs/desk.md).
        store = await open_store(settings.database, pool_size=1)
        try:
            async with store.write() as tx:
                return await invites.create(
                    tx,
                    **choices,
                    single_use=args.single_use,
                    expires_at=now + lifetime,
                    created_by=None,
                    now=now,
                )
        finally:
            await store.close()

    row = asyncio.run(store_invite())
    # What the link pre-selects goes to stderr, the link alone to stdout, so that
    # `link=$(rendezvous invite ...)` keeps only the link.
    print(
        invites.description(
            snapshot, **choices, single_use=args.single_use, expires_at=now + lifetime
        ),
        file=sys.stderr,
    )
    print(invites.link_of(snapshot.public_url, tokens, row))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Why things cannot be booked; exit 1 when nothing at all can be (2: invalid file)."""
    import asyncio
    from datetime import UTC, datetime

    from server import doctor

    settings = Settings.from_environ()
    loaded = _load_or_exit(settings.config_path)
    org = loaded.organisation
    if args.agent is not None or args.date is not None:
        return _doctor_agent(args, settings, loaded)
    for option, value, known in (
        ("--subject", args.subject, [s.id for s in org.subjects]),
        ("--office", args.office, [o.id for o in org.offices]),
    ):
        if value is not None and value not in known:
            print(f'{option}: no such id "{value}" (known: {", ".join(known)})', file=sys.stderr)
            return EXIT_INVALID
    if args.days < 1 or args.days > 366:
        print("--days: expected 1 to 366", file=sys.stderr)
        return EXIT_INVALID
    now = datetime.now(UTC)
    busy = asyncio.run(doctor.stored_busy(settings.database, loaded, now, args.days))
    report = doctor.diagnose(
        loaded, busy, now, days=args.days, subject=args.subject, office=args.office
    )
    print(report.text())
    return report.exit_code


def _doctor_agent(
    args: argparse.Namespace, settings: Settings, loaded: config.LoadedOrganisation
) -> int:
    """`doctor --agent A [--date D]`: the agent's day drawn (SPEC 12)."""
    import asyncio
    from datetime import UTC, date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from server import agent_day, doctor

    agents = {agent.id: agent for agent in loaded.organisation.agents}
    if args.agent is None:
        print("--date: give --agent too", file=sys.stderr)
        return EXIT_INVALID
    if args.agent not in agents:
        print(f'--agent: no such id "{args.agent}" (known: {", ".join(agents)})', file=sys.stderr)
        return EXIT_INVALID
    now = datetime.now(UTC)
    zone = ZoneInfo(agent_day.zone_of(loaded.organisation, agents[args.agent]))
    try:
        day = date.fromisoformat(args.date) if args.date else now.astimezone(zone).date()
    except ValueError:
        print(f'--date: expected YYYY-MM-DD, got "{args.date}"', file=sys.stderr)
        return EXIT_INVALID
    start = datetime.combine(day, time(), zone).astimezone(UTC) - timedelta(days=1)
    busy, calendar = asyncio.run(
        doctor.stored_day(
            settings.database, loaded, args.agent, start, start + timedelta(days=3), now
        )
    )
    print(agent_day.draw(loaded, busy, args.agent, day, now, calendar))
    return EXIT_OK


def cmd_calendars(args: argparse.Namespace) -> int:
    """Per agent, their own calendar (SPEC 12); exit 1 when one is broken or unusable."""
    import asyncio
    from datetime import UTC, datetime

    from server.calendars import report

    settings = Settings.from_environ()
    loaded = _load_or_exit(settings.config_path)
    if args.refresh:
        _secrets_or_exit(settings.config_path, loaded)
        read = asyncio.run(report.refresh(settings))
        print(f"Read {read} calendar(s) now.\n")
    found = asyncio.run(report.build(settings.database, loaded, datetime.now(UTC)))
    print(found.text())
    return found.exit_code


def cmd_migrate(args: argparse.Namespace) -> int:
    """Apply the migrations the database lacks, without serving (SPEC 13)."""
    import asyncio

    from server.store import describe, transfer

    database = Settings.from_environ().database
    try:
        done = asyncio.run(transfer.migrate(database))
    except transfer.FAILURES as exc:
        print(f"{describe(database)}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    for _, name in done.applied:
        print(f"applied {name}")
    where = describe(database)
    if done.applied:
        print(f"{where}: {len(done.applied)} migration(s) applied, now at {done.current}")
    else:
        print(f"{where}: up to date (migration {done.current})")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Every appointment as CSV or JSON, to stdout or to a file only its owner reads."""
    import asyncio

    from server.store import is_postgresql_url, transfer

    database = Settings.from_environ().database
    if not is_postgresql_url(database) and not Path(database).exists():
        print(f"no database at {database}", file=sys.stderr)
        return EXIT_INVALID
    try:
        if args.output is None:
            count = asyncio.run(transfer.export_appointments(database, args.format, sys.stdout))
        else:
            with transfer.private_file(Path(args.output)) as out:
                count = asyncio.run(transfer.export_appointments(database, args.format, out))
    except transfer.FAILURES as exc:
        print(f"export: {exc}", file=sys.stderr)
        return EXIT_INVALID
    where = args.output or "standard output"
    print(f"{count} appointment(s) written to {where}", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Copy a SQLite database into an empty PostgreSQL database (SPEC 13)."""
    import asyncio

    from server.store import describe, transfer

    target = args.to or str(Settings.from_environ().database)
    source = Path(args.source)
    try:
        done = asyncio.run(transfer.import_sqlite(source, target))
    except transfer.FAILURES as exc:
        print(f"import: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{source} → {describe(target)} (migration {done.version}), counts checked:")
    for table, count in sorted(done.tables.items()):
        print(f"  {table:<22} {count}")
    if done.secret_file is not None:
        print(
            f"\nnote: links already sent (manage, invite, desk) are signed with the key in"
            f" {done.secret_file}: give every instance that key (RENDEZVOUS_SECRET_KEY) or"
            " those links stop working",
            file=sys.stderr,
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rendezvous", description="Appointment booking for organisations with offices."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API, the widget and /book")
    serve.add_argument("--host", default=None, help="default: RENDEZVOUS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: RENDEZVOUS_PORT or 8000")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument(
        "--log-level", default="info", choices=("trace", "debug", "info", "warning", "error")
    )
    serve.add_argument(
        "--http", choices=serving.HTTP_CHOICES, default="auto", help="HTTP parser (auto: fastest)"
    )
    serve.add_argument(
        "--loop", choices=serving.LOOP_CHOICES, default="auto", help="event loop (auto: fastest)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="proxies (comma-separated addresses, * for any) whose X-Forwarded-For is"
        " believed (default: RENDEZVOUS_FORWARDED_ALLOW_IPS, else none)",
    )
    serve.set_defaults(handler=cmd_serve)

    check = commands.add_parser("check", help="validate an organisation file")
    check.add_argument("file", help="the organisation file (TOML)")
    check.set_defaults(handler=cmd_check)

    invite = commands.add_parser("invite", help="print an agent's invite link")
    invite.add_argument("--agent", required=True, help="the agent's id")
    invite.add_argument("--subject", help="pre-select this subject")
    invite.add_argument("--meeting-type", help="pre-select OFFICE, VIDEO, PHONE or ON_LOCATION")
    invite.add_argument("--office", help="pre-select this office")
    invite.add_argument("--customer-email", help="prefill the customer's e-mail")
    invite.add_argument("--expires", default="7d", help="lifetime: 30m, 12h, 7d, 2w (default 7d)")
    invite.add_argument("--single-use", action="store_true", help="the link books only once")
    invite.set_defaults(handler=cmd_invite)

    doctor = commands.add_parser("doctor", help="explain what cannot be booked, and why")
    doctor.add_argument("--subject", help="only this subject")
    doctor.add_argument("--office", help="only this office")
    doctor.add_argument("--days", type=int, default=14, help="days ahead to look (default 14)")
    doctor.add_argument("--agent", help="draw this agent's day (with --date)")
    doctor.add_argument("--date", help="the day to draw, YYYY-MM-DD (default: today)")
    doctor.set_defaults(handler=cmd_doctor)

    calendars = commands.add_parser(
        "calendars", help="agents' own calendars: linked, last read, busy time, errors"
    )
    calendars.add_argument(
        "--refresh", action="store_true", help="read every calendar now, from this process"
    )
    calendars.set_defaults(handler=cmd_calendars)

    outbox = commands.add_parser("outbox", help="pending and failed deliveries (SPEC 10)")
    outbox.add_argument("--retry", metavar="ID", help="send this delivery again now")
    outbox.set_defaults(handler=cmd_outbox)

    migrate = commands.add_parser(
        "migrate", help="apply the database's pending migrations, without serving"
    )
    migrate.set_defaults(handler=cmd_migrate)

    export = commands.add_parser("export", help="write every appointment as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    export.add_argument(
        "--output", metavar="FILE", help="write to FILE (mode 0600) instead of standard output"
    )
    export.set_defaults(handler=cmd_export)

    importer = commands.add_parser(
        "import", help="copy a SQLite database into an empty PostgreSQL database"
    )
    importer.add_argument("source", metavar="SQLITE_FILE", help="e.g. var/rendezvous.sqlite3")
    importer.add_argument(
        "--to", metavar="URL", help="the PostgreSQL database (default: RENDEZVOUS_DATABASE)"
    )
    importer.set_defaults(handler=cmd_import)

    mail = commands.add_parser("mail", help="e-mail tools")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True)
    mail_preview = mail_commands.add_parser(
        "preview", help="render one e-mail on sample values into files you can open"
    )
    mail_preview.add_argument("kind", metavar="KIND", help="e.g. customer_confirmation")
    mail_preview.add_argument("--language", help="default: the organisation's first")
    mail_preview.add_argument(
        "--output", help="directory for the files (default: mail-preview/ beside the database)"
    )
    mail_preview.set_defaults(handler=cmd_mail_preview)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
