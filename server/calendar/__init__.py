"""Appointments as calendar events: RFC 5545 files and add-to-calendar links (`ics`),
their title, description and location from templates (`text`), written in the bounded
subset of Jinja2 that `sandbox` accepts."""
