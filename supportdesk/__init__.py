"""supportdesk: a support desk for web-hosting providers that lives in the terminal."""

__version__ = "0.1.0"
