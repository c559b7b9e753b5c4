"""The one-screen summary of `rendezvous check`."""

from __future__ import annotations

import availability
from availability import model
from server.config.loading import LoadedOrganisation
from server.config.types import Bots
from server.vocabulary import MEETING_TYPES, text


def summary(loaded: LoadedOrganisation) -> str:
    """One screen about the organisation, for `rendezvous check`."""
    org = loaded.organisation
    settings = org.organisation
    first = settings.languages[0]
    combinations = bookable_combinations(loaded.engine)
    in_use = [m for m in MEETING_TYPES if any(c[1] == m for c in combinations)]
    active_offices = sum(office.active for office in org.offices)
    active_agents = [agent for agent in org.agents if agent.active]
    online = sum(agent.online_planning for agent in active_agents)
    hidden = sum(not subject.available_for_customers for subject in org.subjects)
    lines = [
        f"{text(settings.name, first, first)} (version {loaded.version})",
        f"languages: {', '.join(settings.languages)}; time zone: {settings.timezone}",
        f"categories: {len(org.categories)}",
        f"subjects: {len(org.subjects)} ({hidden} hidden from customers)",
        f"offices: {len(org.offices)} ({active_offices} active,"
        f" {len(org.offices) - active_offices} inactive)",
        f"agents: {len(org.agents)} ({len(active_agents)} active,"
        f" {online} of them planning online)",
        f"meeting types in use: {', '.join(in_use) or 'none'}",
        f"bookable combinations (subject × meeting type × office): {len(combinations)}",
        _bots_line(settings.bots),
    ]
    return "\n".join(lines)


def _bots_line(bots: Bots) -> str:
    """[organisation.bots] in one line (docs/bots.md)."""
    challenge = {
        "off": "never",
        "always": "always",
        "auto": f"after {bots.challenge_after} holds in {bots.challenge_window} min by one client",
    }[bots.challenge]
    return (
        f"bots: at most {bots.holds_per_client} live holds per client; proof of work"
        f" (up to {bots.challenge_max_number:,} hashes) {challenge}"
    )


def bookable_combinations(engine: model.Organisation) -> list[tuple[str, str, str]]:
    """(subject, meeting type, office) triples customers can book, ignoring dates: some
    agent can serve them (`availability.servers`) and the subject is not hidden."""
    return [
        key
        for key in availability.servers(engine)
        if engine.subjects[key[0]].available_for_customers
    ]
