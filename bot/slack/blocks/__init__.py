"""Block Kit builders and parsers: pure functions from data to Slack JSON and back.

No I/O happens here. `ticket_form` builds and reads the modal, `results` reports how filing
ended, `prompts` answers DMs and mentions, `metadata` is what the modal carries.
"""
