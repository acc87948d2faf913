"""helpdesk-tui: a keyboard-driven helpdesk for support agents, in the terminal."""

__version__ = "0.1.0"
