"""The organisation file's checks for deliveries (SPEC 10): what one value alone cannot
tell about `[organisation.notifications]`, `[organisation.email_templates]` and
`[[webhooks]]`.

Decisions:

- E-mail is configured by `[organisation.notifications]`, whose `from` is then required
  (a valid mailbox, `Name <address>` or a bare address; `reply_to` likewise). Without the
  table no e-mail is written at all, so `[organisation.email_templates]` without it is
  an error (the templates would never be used). Webhooks need no `from`.
- Reminders are minutes before the start, 1 to 43,200 (30 days), at most 5 per list,
  each value once.
- A webhook's `url` is http(s), ASCII; `events` (default: all) lists each event once;
  `secret_env` names the environment variable that holds its `whsec_` secret. Whether
  the variable is set is not a property of the file: `server.deliveries.webhooks.
  secret_problems` reports it when the server starts and in `rendezvous check`.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.config.checks import _duplicates, _is_http_url, _uri_problem
from server.config.messages import Issue, key_path
from server.config.types import OrganisationSettings, Webhook
from server.deliveries import templates as email_templates
from server.deliveries.addresses import parse_mailbox


def delivery_issues(
    org: OrganisationSettings | None, webhooks: Sequence[tuple[int, Webhook]]
) -> list[Issue]:
    issues: list[Issue] = []
    if org is not None:
        issues += _notification_issues(org)
        issues += _template_issues(org)
    issues += _webhook_issues(webhooks)
    return issues


def _notification_issues(org: OrganisationSettings) -> list[Issue]:
    issues: list[Issue] = []
    notifications = org.notifications
    if notifications is None:
        return issues
    path = "organisation.notifications"
    for key, value in (("from", notifications.from_), ("reply_to", notifications.reply_to)):
        if value is not None and parse_mailbox(value) is None:
            issues.append(
                Issue(
                    f"{path}.{key}",
                    'expected one e-mail address, "Name <name@example.com>" or'
                    f' "name@example.com", got "{value}"',
                )
            )
    for key in ("customer_reminders", "agent_reminders"):
        minutes = getattr(notifications, key)
        pairs = ((f"{path}.{key}[{i}]", str(value)) for i, value in enumerate(minutes))
        for duplicate_path, value in _duplicates(pairs):
            issues.append(Issue(duplicate_path, f"{value} minutes is listed twice"))
    return issues


def _template_issues(org: OrganisationSettings) -> list[Issue]:
    """Compile each e-mail template and render it on sample values, as the server does."""
    issues = []
    if org.email_templates and org.notifications is None:
        issues.append(
            Issue(
                "organisation.email_templates",
                "e-mail templates are only used with [organisation.notifications]"
                ' (from = "..."), which is missing',
            )
        )
    for lang, kinds in org.email_templates.items():
        lang_path = f"organisation.email_templates{key_path(lang)}"
        if lang not in org.languages:
            issues.append(
                Issue(
                    lang_path,
                    f'"{lang}" is not a language of the organisation ({", ".join(org.languages)})',
                )
            )
        for kind, template in kinds.items():
            for part in email_templates.PARTS:
                source = getattr(template, part)
                if source is None:
                    continue
                try:
                    email_templates.compile_override(lang, kind, part, source)
                except email_templates.EmailTemplateError as exc:
                    issues.append(Issue(f"{lang_path}.{kind}.{part}", exc.problem))
    return issues


def _webhook_issues(webhooks: Sequence[tuple[int, Webhook]]) -> list[Issue]:
    issues = []
    pairs = ((f"webhooks[{i}].id", webhook.id) for i, webhook in webhooks)
    for path, value in _duplicates(pairs):
        issues.append(Issue(path, f'duplicate id "{value}"'))
    for i, webhook in webhooks:
        path = f"webhooks[{i}]"
        if not _is_http_url(webhook.url):
            issues.append(Issue(f"{path}.url", f'expected an http(s) URL, got "{webhook.url}"'))
        elif problem := _uri_problem(webhook.url):
            issues.append(Issue(f"{path}.url", problem))
        if webhook.events is not None:
            if not webhook.events:
                issues.append(
                    Issue(f"{path}.events", "expected at least one event (leave it out for all)")
                )
            events = ((f"{path}.events[{j}]", e) for j, e in enumerate(webhook.events))
            for event_path, value in _duplicates(events):
                issues.append(Issue(event_path, f'event "{value}" is listed twice'))
    return issues


__all__ = ["delivery_issues"]
