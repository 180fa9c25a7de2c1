"""Everything Slack: Bolt wiring, listeners, Block Kit builders. Built on `bot.core`."""
