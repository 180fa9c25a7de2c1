"""Every Teams identifier the bot uses. The generated app manifest declares the same ones.

Buttons on the bot's cards carry `{"action": <one of these>, "state": <token>}` in their
data, where the token is a `StateStore` token of the draft the button brings back.
"""

from __future__ import annotations

from typing import Final

MESSAGE_ACTION: Final = "ticket_from_message"
"""The message extension's action command: "Create ticket" on any message."""
OPEN_FORM: Final = "ticket_open_form"
"""The "Create ticket" button on the bot's reply card (`Action.Submit`, task/fetch)."""
SUBMIT: Final = "ticket_submit"
"""The form's own submit button (task/submit, or composeExtension/submitAction)."""
RETRY: Final = "ticket_retry"
""""Try again" on a failure card: refile the stored draft (`Action.Execute` verb)."""
EDIT: Final = "ticket_edit"
""""Back to the form" on a failure card: the form again, filled (task/fetch)."""
FILE_ANYWAY: Final = "ticket_file_anyway"
""""File a separate ticket" under "Already filed as …" (task/fetch)."""

FIXED: Final = "ticket_fixed"
""""Yes, close it" under a resolved ticket's status (`Action.Execute` verb)."""
REOPEN: Final = "ticket_reopen"
""""No, reopen" under a resolved ticket's status (`Action.Execute` verb)."""
MY_COMMENT: Final = "my_request_comment"
""""Send" under a row's comment box in "My requests" (`Action.Execute` verb)."""
MY_CLOSE: Final = "my_request_close"
""""Yes, close it" under a row of "My requests" (`Action.Execute` verb)."""
MY_MORE: Final = "my_requests_more"
""""Show more" / "Back to the start" / "Retry" under "My requests" (`Action.Execute`
verb; `offset` in its data)."""
REQUEST: Final = "request"
"""Key of a ServiceOps request id in a button's data."""

ACTION: Final = "action"
"""Key of the action name in a button's data."""
STATE: Final = "state"
"""Key of the draft's token in a button's data."""

ENDPOINT: Final = "/api/messages"
"""Where Teams (the Bot Connector) posts activities."""
