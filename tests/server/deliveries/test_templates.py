"""E-mail templates: shipped in four languages, overridable in the organisation file,
checked like calendar templates; `rendezvous mail preview`; the Maildir of the demo."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import mailbox
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server import cli, config
from server.app import create_app
from server.deliveries import preview
from server.deliveries.kinds import CALENDAR_EMAIL_KINDS, EMAIL_KINDS
from server.settings import Settings
from server.snapshot import Snapshot
from server.tokens import Tokens
from tests.server._booking import book, offered
from tests.server.deliveries._mail import MailServer
from tests.server.deliveries.conftest import appointment_body, at, organisation_with, send_due
from tests.support import DEMO as DEMO_CONFIG
from tests.support import NOW

pytestmark = [pytest.mark.organisation("demo"), pytest.mark.both_backends]

LANGUAGES = ("en", "nl", "fr", "de")


def load_with(org_extra: str) -> config.LoadedOrganisation:
    text = DEMO_CONFIG.read_text()
    marker = "# Add-to-calendar text."
    return config.loads(text.replace(marker, org_extra + "\n" + marker, 1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_kind_renders_in_every_shipped_language(lang: str, tmp_path: Path) -> None:
    snapshot = Snapshot.build(config.load(DEMO_CONFIG))
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    for kind in EMAIL_KINDS:
        found = preview.render(snapshot, Tokens("k" * 32), kind, lang, tmp_path, now)
        message = email.message_from_bytes(found.eml.read_bytes(), policy=email.policy.default)
        assert message["Subject"] and "{{" not in message["Subject"]
        assert message["Content-Language"] == lang
        html = found.html.read_text()
        assert html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in html
        if kind in CALENDAR_EMAIL_KINDS:
            continue  # about the agent's calendar (SPEC 12): no appointment to link to
        link = "/book?manage=" if kind.startswith("customer_") else "/desk/appointments/"
        if kind == "agent_sign_in":  # the desk's sign-in link (about no appointment)
            link = "/desk/sign-in/"
        assert link in html


def test_an_override_in_the_organisation_file_replaces_the_shipped_text(
    settings: Settings, config_path: Path, smtp: MailServer
) -> None:
    organisation_with(
        config_path,
        extra=(
            "[organisation.email_templates.en.customer_confirmation]\n"
            'subject = "Booked: {{ subject|upper }} with {{ agent_name }}"\n'
            'html = "<p>Dear {{ customer_name }}, see you {{ start_local }}.</p>"\n'
        ),
    )
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        at(client, NOW)
        start = offered(client, "car-insurance", "OFFICE", "brussels")[0]
        body = appointment_body("car-insurance", "OFFICE", start, "brussels")
        body["customer"]["first_name"] = "<i>Ann</i>"
        assert book(client, body).status_code == 201
        send_due(client)

    messages = {item.recipients[0]: item.message for item in smtp.wait_for(2)}
    customer = messages["ann@example.com"]
    assert customer["Subject"] == "Booked: CAR INSURANCE with Farid El Amrani"
    html = customer.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "<p>Dear &lt;i&gt;Ann&lt;/i&gt; Smith, see you Tuesday 24 November 2026 at" in html
    # The text part was not overridden: the shipped one is used, and the frame stays.
    plain = customer.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert plain.startswith("Hello <i>Ann</i>,") and "/book?manage=" in plain
    # The agent's message (French, another kind) is the shipped one.
    assert messages["farid@demobank.example"]["Subject"].startswith("Nouveau rendez-vous")


def test_a_broken_override_is_refused_with_its_path() -> None:
    with pytest.raises(config.ConfigError) as caught:
        load_with(
            "[organisation.email_templates.nl.agent_request]\n"
            'text = "{% for x in customer_name %}{{ x }}{% endfor %}"\n'
        )
    assert str(caught.value) == (
        "organisation.email_templates.nl.agent_request.text: line 1: a loop ({% for %})"
        " is not allowed"
    )


@pytest.mark.parametrize(
    ("toml", "path", "words"),
    [
        pytest.param(
            '[organisation.email_templates.en.customer_reminder]\nsubject = "{{ nope }}"\n',
            "organisation.email_templates.en.customer_reminder.subject",
            "unknown variable 'nope'",
            id="unknown-variable",
        ),
        pytest.param(
            '[organisation.email_templates.de.customer_reminder]\nsubject = "x"\n',
            "organisation.email_templates.de",
            '"de" is not a language of the organisation',
            id="language-not-spoken",
        ),
        pytest.param(
            '[organisation.email_templates.en.customer_thanks]\nsubject = "x"\n',
            "organisation.email_templates.en",
            "expected one of",
            id="unknown-kind",
        ),
    ],
)
def test_override_problems_name_their_path(toml: str, path: str, words: str) -> None:
    with pytest.raises(config.ConfigError) as caught:
        load_with(toml)
    (issue,) = caught.value.issues
    assert issue.path.startswith(path) and words in issue.message


@pytest.mark.parametrize(
    ("replacement", "path", "words"),
    [
        pytest.param(
            'from = "appointments at demobank"',
            "organisation.notifications.from",
            "expected one e-mail address",
            id="from-not-an-address",
        ),
        pytest.param(
            'from = "A <a@demobank.example>, B <b@demobank.example>"',
            "organisation.notifications.from",
            "expected one e-mail address",
            id="two-addresses",
        ),
        pytest.param(
            'from = "Demo Bank <appointments@demobank.example>"\ncustomer_reminders = [60, 60]',
            "organisation.notifications.customer_reminders[1]",
            "60 minutes is listed twice",
            id="duplicate-reminder",
        ),
        pytest.param(
            'from = "Demo Bank <appointments@demobank.example>"\nagent_reminders = [0]',
            "organisation.notifications.agent_reminders[0]",
            ">= 1",
            id="reminder-not-positive",
        ),
        pytest.param(
            'from = "Demo Bank <appointments@demobank.example>"\n'
            "agent_reminders = [1, 2, 3, 4, 5, 6]",
            "organisation.notifications.agent_reminders",
            "length <= 5",
            id="too-many-reminders",
        ),
        pytest.param(
            'reply_to = "service@demobank.example"',
            "organisation.notifications.from",
            "required key is missing",
            id="from-missing",
        ),
    ],
)
def test_notification_problems_name_their_path(replacement: str, path: str, words: str) -> None:
    text = DEMO_CONFIG.read_text()
    start = text.index("[organisation.notifications]")
    end = text.index("# Add-to-calendar text.")
    changed = text[:start] + f"[organisation.notifications]\n{replacement}\n\n" + text[end:]
    with pytest.raises(config.ConfigError) as caught:
        config.loads(changed)
    (issue,) = caught.value.issues
    assert issue.path == path, issue
    assert words in issue.message


def test_a_webhook_url_must_be_http() -> None:
    text = DEMO_CONFIG.read_text() + (
        '\n[[webhooks]]\nid = "crm"\nurl = "ftp://crm.example/x"\nsecret_env = "X"\n'
    )
    with pytest.raises(config.ConfigError) as caught:
        config.loads(text)
    assert (
        str(caught.value) == 'webhooks[0].url: expected an http(s) URL, got "ftp://crm.example/x"'
    )


def test_mail_preview_writes_files_a_person_can_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(tmp_path / "var" / "rendezvous.sqlite3"))

    assert cli.main(["mail", "preview", "customer_confirmation", "--language", "nl"]) == 0

    out = capsys.readouterr().out
    eml = tmp_path / "var" / "mail-preview" / "customer_confirmation.nl.eml"
    html = tmp_path / "var" / "mail-preview" / "customer_confirmation.nl.html"
    assert str(eml) in out and str(html) in out
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["Subject"].startswith("Uw afspraak op ")
    types = [part.get_content_type() for part in message.walk()]
    assert "text/calendar" in types
    assert "Beste Ann," in html.read_text()


def test_mail_preview_refuses_an_unknown_kind_or_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RENDEZVOUS_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("RENDEZVOUS_DATABASE", str(tmp_path / "rendezvous.sqlite3"))

    assert cli.main(["mail", "preview", "thank_you"]) == 2
    assert cli.main(["mail", "preview", "customer_reminder", "--language", "xx"]) == 2
    err = capsys.readouterr().err
    assert "KIND: expected one of customer_confirmation" in err
    assert "--language: expected one of de, en, fr, nl" in err


def test_without_an_smtp_url_messages_are_written_to_a_private_maildir(
    settings: Settings,
) -> None:
    settings = dataclasses.replace(settings, smtp_url=None)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        at(client, NOW)
        start = offered(client, "car-insurance", "OFFICE", "brussels")[0]
        assert book(
            client, appointment_body("car-insurance", "OFFICE", start, "brussels")
        ).is_success
        send_due(client)

    folder = settings.database_path.parent / "mail"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted((folder / "new").iterdir())
    assert len(files) == 2
    assert {stat.S_IMODE(file.stat().st_mode) for file in files} == {0o600}
    recipients = sorted(message["To"] for message in mailbox.Maildir(folder, create=False))
    assert recipients == ["Ann Smith <ann@example.com>", "Farid El Amrani <farid@demobank.example>"]
