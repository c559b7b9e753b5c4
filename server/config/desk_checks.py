"""The organisation file's checks for the desk (SPEC 11): `[[offices]] managers`.

Decisions: a manager is any agent of the file (not necessarily one who sees customers
at that office: a branch manager may plan without being bookable); each id once per
office. An agent who manages offices sees and acts on every appointment there.
"""

from __future__ import annotations

from server.config.checks import Decoded, _duplicates, _known
from server.config.messages import Issue


def desk_issues(decoded: Decoded) -> list[Issue]:
    agent_ids = {agent.id for _, agent in decoded.agents} | decoded.undecoded_ids["agents"]
    issues: list[Issue] = []
    for i, office in decoded.offices:
        path = f"offices[{i}].managers"
        for j, agent_id in enumerate(office.managers):
            if agent_id not in agent_ids:
                issues.append(Issue(f"{path}[{j}]", _known("agent", agent_id, agent_ids)))
        pairs = ((f"{path}[{j}]", agent_id) for j, agent_id in enumerate(office.managers))
        for duplicate_path, agent_id in _duplicates(pairs):
            issues.append(Issue(duplicate_path, f'agent "{agent_id}" is listed twice'))
    return issues
