"""Appointments as calendar events: RFC 5545 files and add-to-calendar links (`ics`),
their title, description and location from templates (`text`), rendered in a bounded
sandbox (`sandbox`)."""
