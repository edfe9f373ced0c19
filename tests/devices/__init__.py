"""Tests of desk_app.devices (drivers against pty simulators)."""
