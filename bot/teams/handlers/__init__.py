"""Handlers, one module per kind of activity: messages to the bot, and the dialog invokes."""
