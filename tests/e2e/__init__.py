import pytest

# The harness asserts on the tests' behalf (`submitted_ticket`...): have pytest explain its
# failed asserts the way it explains those written in the tests themselves.
pytest.register_assert_rewrite("tests.e2e.harness")
