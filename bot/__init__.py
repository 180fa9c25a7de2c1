"""serviceops-bot: file Motadata ServiceOps requests from Slack."""

__version__ = "0.1.0"
