"""GET /api/v1/organisation: what the widget needs before its first step (an extension
of SPEC 5).

`{"name", "languages", "timezone", "country"}`: the organisation's name in the asked
language, the languages its texts are in (the widget offers only those, falling back
to the first), its default time zone, and the country a customer's address defaults
to. The organisation file has no country of its own: it is the country where most of
its active offices are (a tie goes to the office listed first), null without one.

Cached like the catalog answers: a strong `ETag` from the organisation version and the
language, `Cache-Control: no-cache`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import config, schemas
from server.booking import catalog as catalog_
from server.routes.catalog import cached, decode_query
from server.runtime import runtime_of


def main_country(offices: Sequence[config.Office]) -> str | None:
    """The country of most active offices; a tie goes to the office listed first."""
    active = [office.address.country for office in offices if office.active]
    if not active:
        return None
    counts = Counter(active)
    most = max(counts.values())
    return next(country for country in active if counts[country] == most)


def describe(catalog: catalog_.Catalog, lang: str) -> schemas.OrganisationResponse:
    settings = catalog.loaded.organisation.organisation
    return schemas.OrganisationResponse(
        name=catalog.text(settings.name, lang),
        languages=list(catalog.languages),
        timezone=catalog.timezone,
        country=main_country(catalog.loaded.organisation.offices),
    )


async def show_organisation(request: Request) -> Response:
    query = decode_query(request, schemas.OrganisationQuery)
    catalog = catalog_.catalog_for(runtime_of(request).organisation)
    lang = catalog.language(query.lang, request.headers.get("accept-language"))
    return cached(request, catalog, ("organisation", lang), lambda: describe(catalog, lang))


routes: list[BaseRoute] = [Route("/api/v1/organisation", show_organisation, methods=["GET"])]
