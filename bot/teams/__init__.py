"""The Microsoft Teams surface: activities in, Adaptive Cards out, Bot Connector calls."""
