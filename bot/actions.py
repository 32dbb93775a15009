"""Button and postback payloads: a short string naming an action and the dialogue turn it acts
on. State stays server-side, so payloads fit Telegram's 64-byte callback data (LINE allows 300)."""

from dataclasses import dataclass

EXAMPLE = "ex"  # ask example question number ``arg``
PASSAGE = "src"  # show citation ``arg`` of turn ``ref`` in full
MORE = "more"  # next results for the question of turn ``ref``
FEEDBACK = "fb"  # 👍 (arg "1") or 👎 (arg "0") on turn ``ref``
QUIZ_ANSWER = "qa"  # choice ``arg`` in quiz round ``ref``
QUIZ_REVEAL = "qr"  # reveal quiz round ``ref`` (trainers)
TERMS = "terms"  # page ``arg`` of the glossary


@dataclass(frozen=True)
class Action:
    kind: str
    ref: str = ""
    arg: str = ""

    def encode(self) -> str:
        return f"{self.kind}|{self.ref}|{self.arg}"


def decode(data: str) -> Action:
    """The action in a payload; unknown or malformed payloads give an Action nobody handles."""
    kind, _, rest = data.partition("|")
    ref, _, arg = rest.partition("|")
    return Action(kind, ref, arg)


def index_arg(action: Action, size: int) -> int | None:
    """``arg`` as an index below ``size``, or None when it is not one."""
    return int(action.arg) if action.arg.isdigit() and int(action.arg) < size else None
