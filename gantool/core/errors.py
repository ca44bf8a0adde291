"""Error types that decide how a failure reaches the user.

A `UserError` is a mistake the user can fix (bad name, bad path, corrupt file): the CLI
prints its message as one line and exits with code 2. Anything else is a bug and exits 1.
"""


class UserError(Exception):
    """A problem with the user's input; the message names the thing and the fix."""


class TrainingDiverged(Exception):
    """A loss became NaN or Inf; the run is stopped and its last good checkpoint kept."""
