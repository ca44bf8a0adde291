"""Error types that decide how a failure reaches the user.

A `UserError` is a mistake the user can fix (bad name, bad path, corrupt file): the CLI
prints its message as one line and exits with code 2. Anything else is a bug and exits 1.
"""


class UserError(Exception):
    """A problem with the user's input; the message names the thing and the fix."""


class TrainingDiverged(Exception):
    """A loss, weight or optimizer moment became NaN or Inf; the run is stopped and its last
    good checkpoint kept."""


class PluginError(Exception):
    """A third-party plugin's code raised; the message names the plugin and its distribution
    (one line, exit 1; the traceback under --debug)."""


class RunAborted(Exception):
    """A second Ctrl-C cut the run short (e.g. during the final checkpoint): exit 130, the
    previous checkpoint kept, one line on the terminal."""
