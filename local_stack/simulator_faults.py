"""What goes wrong on Taramoney's side, for the simulator (``SIMULATOR_FAULTS``).

Comma-separated ``name=share[:argument]``, options after semicolons::

    SIMULATOR_FAULTS="slow=0.05:4,5xx=0.02,garbled=0.02,twice=0.1,shuffle=2;seed=7"

Of the orders (a number's scenario, README "Test numbers", comes first):
- ``slow=P[:SECONDS]``: answered SECONDS late (default ``SIMULATOR_SLOW_SECONDS``); the
  order is placed, its webhook follows;
- ``5xx=P[:STATUS]``: answered HTTP 500, 502, 503 or 504 (or STATUS); nothing is placed,
  no webhook comes;
- ``garbled=P``: the order is placed (its webhook follows) but the answer is unreadable
  (cut JSON, an HTML error page, an empty body) at HTTP 200;
- ``decline=P``: the customer refuses on the phone: the webhook says FAILURE;
- ``silent=P``: the customer never answers: no webhook (the payment expires).
Of the webhooks:
- ``twice=P``: delivered twice (as a manual resend does);
- ``shuffle=SECONDS``: every delivery waits up to SECONDS more, at random, so deliveries
  arrive out of order, some before the order's answer.
``seed=N`` makes the draws repeatable: the n-th order gets the same fate every run.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import FaultSpecError, read_amount, unit_interval

ANSWER_FAULTS = ("slow", "5xx", "garbled")
SERVER_ERRORS = (500, 502, 503, 504)
GARBLED_BODIES = (
    b'{"message": "API_ORDER_SUCESSFULL", "status": "SUCC',
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
    b"",
)


def _number(kind: type[float] | type[int], text: str, item: str) -> float:
    try:
        return kind(text)
    except ValueError:
        raise FaultSpecError(f"{item!r} needs a number") from None


@dataclass(frozen=True)
class OrderFate:
    """What the simulator does with one order."""

    answer: str | None = None  # one of ANSWER_FAULTS, None: a normal answer
    slow_seconds: float = 0.0
    server_error: int = 0
    garbled_body: bytes = b""
    declined: bool = False
    silent: bool = False
    deliveries: int = 1
    extra_delays: tuple[float, ...] = (0.0,)


@dataclass
class SimulatorFaults:
    shares: dict[str, float]
    slow_seconds: float | None = None
    server_error: int | None = None
    shuffle_seconds: float = 0.0
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> SimulatorFaults:
        items, *options = (part.strip() for part in text.strip().split(";"))
        faults = cls(shares={})
        for option in filter(None, options):
            name, _, value = option.partition("=")
            if name.strip() != "seed":
                raise FaultSpecError(f"unknown option {option!r} (options: seed=N)")
            try:
                faults.seed = int(value)
            except ValueError:
                raise FaultSpecError(f"option {option!r} needs an integer") from None
        for item in filter(None, (item.strip() for item in items.split(","))):
            name, equals, value = (part.strip() for part in item.partition("="))
            amount, _, argument = value.partition(":")
            if not equals:
                raise FaultSpecError(f"{item!r} is not name=share[:argument]")
            if name == "shuffle":
                faults.shuffle_seconds = _number(float, value, item)
                continue
            if name not in (*ANSWER_FAULTS, "decline", "silent", "twice"):
                raise FaultSpecError(
                    f"unknown simulator fault {name!r} (slow, 5xx, garbled, decline, silent, twice, shuffle)"
                )
            share, count = read_amount(amount)
            if count is not None:
                raise FaultSpecError(f"{item!r}: the simulator takes shares, not #N")
            faults.shares[name] = share
            if name == "slow" and argument:
                faults.slow_seconds = _number(float, argument, item)
            if name == "5xx" and argument:
                faults.server_error = int(_number(int, argument, item))
        if sum(faults.shares.get(name, 0.0) for name in ANSWER_FAULTS) > 1:
            raise FaultSpecError("slow, 5xx and garbled shares add up to more than 1")
        if faults.shares.get("decline", 0.0) + faults.shares.get("silent", 0.0) > 1:
            raise FaultSpecError("decline and silent shares add up to more than 1")
        return faults

    def fate(self, order_number: int, default_slow_seconds: float) -> OrderFate:
        """The fate of the n-th order the simulator receives."""

        def draw(*what: object) -> float:
            return unit_interval(self.seed, "order", order_number, *what)

        answer, low, roll = None, 0.0, draw("answer")
        for name in ANSWER_FAULTS:
            high = low + self.shares.get(name, 0.0)
            if low <= roll < high:
                answer = name
                break
            low = high
        customer = draw("customer")
        declined = customer < self.shares.get("decline", 0.0)
        silent = not declined and customer < self.shares.get("decline", 0.0) + self.shares.get("silent", 0.0)
        deliveries = 2 if draw("twice") < self.shares.get("twice", 0.0) else 1
        return OrderFate(
            answer=answer,
            slow_seconds=self.slow_seconds if self.slow_seconds is not None else default_slow_seconds,
            server_error=self.server_error or SERVER_ERRORS[int(draw("status") * len(SERVER_ERRORS))],
            garbled_body=GARBLED_BODIES[int(draw("garbled") * len(GARBLED_BODIES))],
            declined=declined,
            silent=silent,
            deliveries=deliveries,
            extra_delays=tuple(draw("delay", attempt) * self.shuffle_seconds for attempt in range(deliveries)),
        )

    def describe(self) -> str:
        parts = [f"{name}={share:g}" for name, share in self.shares.items()]
        if self.shuffle_seconds:
            parts.append(f"shuffle={self.shuffle_seconds:g}")
        return ",".join(parts) + f";seed={self.seed}"
