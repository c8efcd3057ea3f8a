"""The one error type the CLI prints: a sentence naming the object, and the fix."""


class SupalertError(Exception):
    """A failure the user can act on. `hint` says what to do next; both print on one line."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (fix: {self.hint})"
