"""Every Slack identifier the app uses. `manifest.yml` declares the same ones (a test checks)."""

from __future__ import annotations

from typing import Final

from bot.core.form import Field

COMMAND: Final = "/ticket"
MESSAGE_SHORTCUT: Final = "ticket_from_message"
GLOBAL_SHORTCUT: Final = "ticket_global"
FORM_CALLBACK: Final = "ticket_form"
OPEN_FORM_ACTION: Final = "ticket_open_form"
"""Button under the bot's DM/mention reply that opens the prefilled modal."""
RETRY_ACTION: Final = "ticket_retry"
"""Button in a failure view or message: resubmit the same draft without retyping."""
EDIT_ACTION: Final = "ticket_edit"
"""Button in a failure view or message: reopen the form with what the person typed."""
FILE_ANYWAY_ACTION: Final = "ticket_file_anyway"
"""Button under "Already filed as INC-12": open the form for a separate ticket on purpose."""
FIXED_ACTION: Final = "ticket_fixed"
"""Button under "INC-12 is now Resolved": the requester confirms; the request is closed."""
REOPEN_ACTION: Final = "ticket_reopen"
"""Button under "INC-12 is now Resolved": the requester says it is not fixed; reopened."""
FILES_BLOCK: Final = "files"
"""The modal's optional file input (block and action id): files to attach to the ticket."""
MY_COMMENT_ACTION: Final = "my_request_comment"
""""Add comment" on a row of "My requests": opens the comment modal."""
MY_CLOSE_ACTION: Final = "my_request_close"
""""Close" on a row of "My requests" (Slack asks for confirmation first)."""
MY_MORE_ACTION: Final = "my_requests_more"
""""Show more" under "My requests": its value is where the next page starts."""
MY_REFRESH_ACTION: Final = "my_requests_refresh"
""""Refresh" / "Retry" on the App Home tab."""
NEW_TICKET_ACTION: Final = "my_requests_new_ticket"
""""New ticket" on the App Home tab: opens the empty form."""
COMMENT_CALLBACK: Final = "my_request_comment_form"
"""The comment modal's callback id."""
COMMENT_BLOCK: Final = "comment"
"""The comment modal's input block (and its element's action id)."""
DEPARTMENT_OPTIONS: Final = "department"
"""Action id of the external (type-ahead) department select; options come from the app."""


Block = Field
"""Input block ids of the modal: the form's field names (`bot.core.form.Field`). Each block
holds one element whose action_id is the same string."""
