"""Plain-Python domain model: no ORM, no Qt. See model.py and lifecycle.py."""
