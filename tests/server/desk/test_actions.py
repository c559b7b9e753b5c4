"""What an agent does on the desk (SPEC 11): accept, decline, cancel, reschedule and
reassign, each one transaction that bumps `sequence` and writes its e-mails (read here
from a real SMTP server); a conflict or bad input changes nothing; every form is
protected against cross-site requests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from server.desk.forms import MAX_REASON
from tests.server._booking import book, runtime
from tests.server.deliveries._mail import MailServer, calendar_parts
from tests.server.deliveries.conftest import appointment_body
from tests.server.desk._desk import (
    SAME_SITE,
    booked,
    form_to,
    forms,
    mail_to,
    rows,
    send_due,
    sign_in_as,
    submit,
    text_of,
)
from tests.support import NOW

pytestmark = [
    pytest.mark.organisation("demo"),
    pytest.mark.both_backends,
]  # the desk of the demo bank

BRUSSELS = ZoneInfo("Europe/Brussels")
CUSTOMER = "ann@example.com"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BRUSSELS)


def appointment(client: TestClient, id: str) -> dict[str, Any]:
    found = rows(client, "SELECT * FROM appointments WHERE id = ?", id)
    assert found
    return dict(found[0])


def fresh_mail(client: TestClient, smtp: MailServer) -> int:
    """Send what is due and return how many messages there are so far."""
    send_due(client)
    return len(smtp.received)


def methods(message: Any) -> list[str]:
    return [str(calendar.get("METHOD")) for calendar in calendar_parts(message)][:1]


def deliveries_of(client: TestClient, id: str) -> int:
    return len(rows(client, "SELECT id FROM deliveries WHERE appointment_id = ?", id))


@pytest.fixture
def request_id(client: TestClient) -> str:
    """A request (mortgage by video waits for the agent) with Alice, Friday 11:00."""
    found = booked(client, "mortgage", "VIDEO", at(27, 11), "brussels", agent="alice")
    assert found["status"] == "requested"
    return str(found["id"])


@pytest.fixture
def confirmed_id(client: TestClient) -> str:
    """Opening an account with Alice at the Brussels office, Wednesday 10:30."""
    found = booked(client, "new-account", "OFFICE", at(25, 10, 30), "brussels", agent="alice")
    assert found["status"] == "confirmed"
    return str(found["id"])


def test_accepting_a_request_confirms_it_and_invites_the_customer(
    client: TestClient, smtp: MailServer, request_id: str
) -> None:
    before = fresh_mail(client, smtp)
    sign_in_as(client, "alice")

    response = submit(
        client, f"/desk/appointments/{request_id}", f"/desk/appointments/{request_id}/accept"
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/desk/appointments/{request_id}?done=accepted"
    row = appointment(client, request_id)
    assert (row["status"], row["sequence"]) == ("confirmed", 1)
    send_due(client)
    new = smtp.received[before:]
    customer = [r.message for r in new if CUSTOMER in r.recipients]
    assert len(customer) == 1 and "confirmed" in str(customer[0]["Subject"])
    (invitation,) = calendar_parts(customer[0])[:1]
    assert str(invitation.get("METHOD")) == "REQUEST"
    event = invitation.walk("VEVENT")[0]
    assert int(event.get("SEQUENCE")) == 1
    assert str(event.get("UID")).startswith(request_id + "@")
    assert [methods(m) for m in mail_to(smtp, "alice@demobank.example")[-1:]] == [["REQUEST"]]
    assert "The request is accepted" in client.get(response.headers["location"]).text


def test_declining_a_request_tells_the_customer_why_and_where_to_book_again(
    client: TestClient, smtp: MailServer, request_id: str
) -> None:
    before = fresh_mail(client, smtp)
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{request_id}/decline")  # a link only shows the form
    assert page.status_code == 200
    assert appointment(client, request_id)["status"] == "requested"

    response = submit(
        client,
        f"/desk/appointments/{request_id}/decline",
        f"/desk/appointments/{request_id}/decline",
        {"reason": "I am at a training that day."},
    )

    assert response.status_code == 303
    row = appointment(client, request_id)
    assert (row["status"], row["sequence"]) == ("declined", 1)
    send_due(client)
    (message,) = [r.message for r in smtp.received[before:] if CUSTOMER in r.recipients]
    text = text_of(message)
    assert "I am at a training that day." in text
    assert "http://127.0.0.1:8000/book?subject=mortgage" in text
    assert calendar_parts(message) == []
    assert not [r for r in smtp.received[before:] if "alice@demobank.example" in r.recipients]


def test_cancelling_sends_the_reason_and_a_cancel_to_both(
    client: TestClient, smtp: MailServer, confirmed_id: str
) -> None:
    before = fresh_mail(client, smtp)
    sign_in_as(client, "alice")

    response = submit(
        client,
        f"/desk/appointments/{confirmed_id}/cancel",
        f"/desk/appointments/{confirmed_id}/cancel",
        {"reason": "The office is closed for a strike."},
    )

    assert response.status_code == 303
    row = appointment(client, confirmed_id)
    assert (row["status"], row["sequence"]) == ("cancelled", 1)
    send_due(client)
    new = smtp.received[before:]
    (customer,) = [r.message for r in new if CUSTOMER in r.recipients]
    assert "The office is closed for a strike." in text_of(customer)
    assert methods(customer) == ["CANCEL"]
    (agent,) = [r.message for r in new if "alice@demobank.example" in r.recipients]
    assert methods(agent) == ["CANCEL"]
    # The time is free again at once.
    assert (
        book(
            client,
            appointment_body("new-account", "OFFICE", at(25, 10, 30), "brussels", agent="alice"),
        ).status_code
        == 201
    )


def test_rescheduling_moves_it_to_a_free_time_of_the_same_agent(
    client: TestClient, smtp: MailServer, confirmed_id: str
) -> None:
    before = fresh_mail(client, smtp)
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{confirmed_id}/reschedule")
    offered = form_to(page.text, f"/desk/appointments/{confirmed_id}/reschedule").fields["start"]
    assert offered and at(25, 10, 30).isoformat() not in offered  # not its own time
    new_start = at(25, 11, 30).isoformat()
    assert new_start in offered

    response = submit(
        client,
        f"/desk/appointments/{confirmed_id}/reschedule",
        f"/desk/appointments/{confirmed_id}/reschedule",
        {"start": new_start},
    )

    assert response.status_code == 303
    row = appointment(client, confirmed_id)
    assert (row["agent"], row["sequence"], row["status"]) == ("alice", 1, "confirmed")
    assert datetime.fromtimestamp(row["start_utc"], BRUSSELS) == at(25, 11, 30)
    send_due(client)
    for address in (CUSTOMER, "alice@demobank.example"):
        (message,) = [r.message for r in smtp.received[before:] if address in r.recipients]
        event = calendar_parts(message)[0].walk("VEVENT")[0]
        assert event.decoded("DTSTART") == at(25, 11, 30)
        assert int(event.get("SEQUENCE")) == 1


def test_a_time_taken_meanwhile_is_a_clear_message_and_nothing_is_written(
    client: TestClient, smtp: MailServer, confirmed_id: str
) -> None:
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{confirmed_id}/reschedule")
    form = form_to(page.text, f"/desk/appointments/{confirmed_id}/reschedule")
    taken = at(25, 11, 30)
    other = appointment_body("new-account", "OFFICE", taken, "brussels", agent="alice")
    assert book(client, other).status_code == 201  # a customer is quicker
    deliveries = deliveries_of(client, confirmed_id)

    response = client.post(
        f"/desk/appointments/{confirmed_id}/reschedule",
        data={"csrf": form.fields["csrf"][0], "start": taken.isoformat()},
        headers=SAME_SITE,
    )

    assert response.status_code == 409
    assert "no longer free" in response.text
    row = appointment(client, confirmed_id)
    assert (row["sequence"], datetime.fromtimestamp(row["start_utc"], BRUSSELS)) == (
        0,
        at(25, 10, 30),
    )
    assert deliveries_of(client, confirmed_id) == deliveries


def test_reassigning_hands_it_to_a_free_coworker_with_the_expertise(
    client: TestClient, smtp: MailServer, confirmed_id: str
) -> None:
    before = fresh_mail(client, smtp)
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{confirmed_id}/reassign")
    listed = form_to(page.text, f"/desk/appointments/{confirmed_id}/reassign")
    assert "Emma Lambert" in page.text
    assert "Bob Janssens" not in page.text  # no expertise in opening accounts
    assert listed.fields["agent"] == ["emma"]

    response = submit(
        client,
        f"/desk/appointments/{confirmed_id}/reassign",
        f"/desk/appointments/{confirmed_id}/reassign",
        {"agent": "emma"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/desk/appointments?done=reassigned"  # not Alice's
    row = appointment(client, confirmed_id)
    assert (row["agent"], row["sequence"]) == ("emma", 1)
    send_due(client)
    new = smtp.received[before:]
    (old,) = [r.message for r in new if "alice@demobank.example" in r.recipients]
    (new_agent,) = [r.message for r in new if "emma@demobank.example" in r.recipients]
    (customer,) = [r.message for r in new if CUSTOMER in r.recipients]
    assert methods(old) == ["CANCEL"]
    assert methods(new_agent) == ["REQUEST"]
    assert methods(customer) == ["REQUEST"]
    assert "Emma Lambert" in text_of(customer)
    # Alice no longer sees it; Emma does.
    assert client.get(f"/desk/appointments/{confirmed_id}").status_code == 404


def test_reassigning_to_someone_who_cannot_take_it_changes_nothing(
    client: TestClient, confirmed_id: str
) -> None:
    booked(client, "savings", "OFFICE", at(25, 10, 30), "brussels", agent="emma")  # Emma is busy
    sign_in_as(client, "alice")
    page = client.get(f"/desk/appointments/{confirmed_id}/reassign")
    assert "Nobody else can take this appointment" in page.text
    token = forms(page.text)  # the page has no reassign form; take the language form's token
    assert all(f.action != f"/desk/appointments/{confirmed_id}/reassign" for f in token)

    from server.desk import sessions

    rt = runtime(client)
    session = rows(client, "SELECT id, expires_at FROM desk_sessions")[0]
    csrf = rt.tokens.dumps(
        "desk_form",
        {"s": session["id"], "a": f"/desk/appointments/{confirmed_id}/reassign"},
        NOW + timedelta(hours=1),
    )
    for agent in ("emma", "bob", "nobody"):
        response = client.post(
            f"/desk/appointments/{confirmed_id}/reassign",
            data={sessions.FORM_FIELD: csrf, "agent": agent},
            headers=SAME_SITE,
        )
        assert response.status_code == 409
        assert "no longer free" in response.text
    row = appointment(client, confirmed_id)
    assert (row["agent"], row["sequence"]) == ("alice", 0)


def test_a_manager_reassigns_between_the_offices_agents(
    client: TestClient, confirmed_id: str
) -> None:
    sign_in_as(client, "jan")
    response = submit(
        client,
        f"/desk/appointments/{confirmed_id}/reassign",
        f"/desk/appointments/{confirmed_id}/reassign",
        {"agent": "emma"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/desk/appointments/{confirmed_id}?done=reassigned"
    assert appointment(client, confirmed_id)["agent"] == "emma"


def test_a_manager_cannot_act_outside_their_office(client: TestClient) -> None:
    antwerp = booked(client, "savings", "OFFICE", at(25, 10), "antwerp", agent="chloe")
    session = sign_in_as(client, "jan")
    path = f"/desk/appointments/{antwerp['id']}/cancel"
    csrf = runtime(client).tokens.dumps(
        "desk_form", {"s": session.id, "a": path}, session.expires_at
    )  # even with a valid form token

    response = client.post(path, data={"csrf": csrf, "reason": "x"}, headers=SAME_SITE)

    assert response.status_code == 404
    assert appointment(client, str(antwerp["id"]))["status"] == "confirmed"


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        pytest.param({"Origin": "https://evil.example"}, "own", id="another-origin"),
        pytest.param({"Referer": "https://evil.example/page"}, "own", id="another-referer"),
        pytest.param({}, "own", id="no-origin-at-all"),
        pytest.param(SAME_SITE, "none", id="no-form-token"),
        pytest.param(SAME_SITE, "other-form", id="another-forms-token"),
        pytest.param(SAME_SITE, "other-session", id="another-sessions-token"),
    ],
)
def test_a_cross_site_post_changes_nothing(
    client: TestClient, confirmed_id: str, headers: dict[str, str], token: str
) -> None:
    session = sign_in_as(client, "alice")
    path = f"/desk/appointments/{confirmed_id}/cancel"
    tokens = runtime(client).tokens
    csrf = {
        "own": tokens.dumps("desk_form", {"s": session.id, "a": path}, session.expires_at),
        "none": "",
        "other-form": tokens.dumps(
            "desk_form", {"s": session.id, "a": "/desk/invites"}, session.expires_at
        ),
        "other-session": tokens.dumps(
            "desk_form", {"s": "someone-else", "a": path}, session.expires_at
        ),
    }[token]
    deliveries = deliveries_of(client, confirmed_id)

    response = client.post(path, data={"csrf": csrf}, headers=headers)

    assert response.status_code == 403
    assert appointment(client, confirmed_id)["status"] == "confirmed"
    assert deliveries_of(client, confirmed_id) == deliveries


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("cancel", {"reason": "x" * (MAX_REASON + 1)}, "At most 500 characters"),
        ("reschedule", {"start": "tomorrow"}, "Choose one of the times offered"),
        ("reschedule", {"start": "2026-11-25T03:00:00+01:00"}, "no longer free"),
        ("reschedule", {"start": "2026-11-25T10:30:00+01:00"}, "the time it has already"),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_written(
    client: TestClient, confirmed_id: str, action: str, data: dict[str, str], message: str
) -> None:
    sign_in_as(client, "alice")
    deliveries = deliveries_of(client, confirmed_id)
    page = f"/desk/appointments/{confirmed_id}/{action}"
    response = submit(client, page, page, data)
    assert response.status_code in (409, 422)
    assert message in response.text
    row = appointment(client, confirmed_id)
    assert (row["status"], row["sequence"]) == ("confirmed", 0)
    assert deliveries_of(client, confirmed_id) == deliveries


def test_what_is_done_cannot_be_done_again(
    client: TestClient, confirmed_id: str, request_id: str
) -> None:
    session = sign_in_as(client, "alice")
    tokens = runtime(client).tokens

    def post(path: str) -> Any:
        csrf = tokens.dumps("desk_form", {"s": session.id, "a": path}, session.expires_at)
        return client.post(path, data={"csrf": csrf}, headers=SAME_SITE, follow_redirects=False)

    assert post(f"/desk/appointments/{confirmed_id}/accept").status_code == 409  # no request
    assert post(f"/desk/appointments/{confirmed_id}/cancel").status_code == 303
    again = post(f"/desk/appointments/{confirmed_id}/cancel")
    assert again.status_code == 409
    assert "cancelled already" in again.text
    assert appointment(client, confirmed_id)["sequence"] == 1
