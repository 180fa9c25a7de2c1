import pytest

# The harness asserts on the tests' behalf: have pytest explain its failed asserts too.
pytest.register_assert_rewrite("tests.e2e.teams.harness")
