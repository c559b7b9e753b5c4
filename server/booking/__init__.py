"""What customers book: catalog listings, slot search, holds, appointments, manage links
and invites (SPEC 4 and 5), as services the routes call."""
