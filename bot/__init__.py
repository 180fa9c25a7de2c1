"""serviceops-bot: file Motadata ServiceOps requests from Slack and Microsoft Teams."""

__version__ = "0.2.0"
