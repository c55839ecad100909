"""Write docs/costs.md: what a million payments cost on AWS, from the calls each payment makes.

``make costs`` re-runs it. The table of calls below follows one paid payment through
the code (the API's writes, the checkout's polls, the webhook, the stream, the event);
memory sizes, the architecture and the alarm count are read from template.yaml, so a
change there shows here (and ``tests/unit/test_costs.py`` fails until this is re-run).
Prices are list prices for eu-west-1, to check before relying on them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_stack.template import load_template  # noqa: E402 - the repository is on the path only now

OUTPUT = ROOT / "docs" / "costs.md"
PAYMENTS = 1_000_000
PRICES_TAKEN = "2026-11-29"


@dataclass(frozen=True)
class Price:
    usd: float
    per: int  # units the price is for
    unit: str
    short: str  # the unit, counted per payment


# eu-west-1 (Ireland) on-demand list prices, without free tiers or savings plans.
PRICES = {
    "http_api": Price(1.00, 1_000_000, "HTTP API requests (first 300 M a month)", "requests"),
    "lambda_request": Price(0.20, 1_000_000, "Lambda requests", "requests"),
    "lambda_gb_s_arm64": Price(0.0000133334, 1, "Lambda GB-second, arm64", "GB-s"),
    "lambda_gb_s_x86_64": Price(0.0000166667, 1, "Lambda GB-second, x86_64", "GB-s"),
    "dynamodb_write": Price(0.7063, 1_000_000, "DynamoDB on-demand write request units", "WRU"),
    "dynamodb_read": Price(0.1413, 1_000_000, "DynamoDB on-demand read request units", "RRU"),
    "put_events": Price(1.00, 1_000_000, "EventBridge custom events put (64 KB chunks)", "events"),
    "archive_gb": Price(0.10, 1, "EventBridge archive, GB of events archived", "GB"),
    "sqs_request": Price(0.40, 1_000_000, "SQS standard requests (64 KB chunks)", "requests"),
    "logs_gb": Price(0.57, 1, "CloudWatch Logs ingestion, GB (standard class)", "GB"),
    "xray_trace": Price(5.00, 1_000_000, "X-Ray traces recorded", "traces"),
    "secret_month": Price(0.40, 1, "Secrets Manager secret, per month", "secrets"),
    "alarm_month": Price(0.10, 1, "CloudWatch standard-resolution alarm, per month", "alarms"),
    "dashboard_month": Price(3.00, 1, "CloudWatch dashboard, per month", "dashboards"),
}

# The checkout polls GET /payments/{id} after 1 s, then every x1.5 up to 8 s: eight reads
# for a customer who confirms in about 35 s.
POLLS = 8


@dataclass(frozen=True)
class Invocation:
    function: str  # logical id in template.yaml
    what: str
    count: float  # per payment
    milliseconds: int  # assumed billed duration, warm


# Assumed warm durations: `make bench` measures the handlers against a local stand-in, not
# Taramoney; the order's duration is mostly Taramoney's answer time.
INVOCATIONS = [
    Invocation("PaymentsApiFunction", "POST /payments (waits for Taramoney's answer)", 1, 1500),
    Invocation("PaymentsApiFunction", f"GET /payments/{{id}}, the checkout's {POLLS} polls", POLLS, 25),
    Invocation("WebhookFunction", "Taramoney's webhook", 1, 50),
    Invocation("EventPublisherFunction", "stream batch (one per payment at low traffic; up to 10 share one)", 1, 80),
]


@dataclass(frozen=True)
class Usage:
    service: str
    what: str
    quantity: float  # per payment, in the price's unit
    price: str


# Write units: 1 per KB written (2 per KB in a transaction); a payment item is about 1.5 KB.
USAGE = [
    Usage("API Gateway", f"POST /payments + {POLLS} GET polls", 1 + POLLS, "http_api"),
    Usage(
        "DynamoDB",
        "idempotency record: PutItem INPROGRESS, UpdateItem COMPLETED with the answer",
        1 + 2,
        "dynamodb_write",
    ),
    Usage(
        "DynamoDB", "TransactWriteItems: the PENDING payment (2 KB) + the phone's slot (1 KB), x2", 6, "dynamodb_write"
    ),
    Usage("DynamoDB", "UpdateItem: Taramoney's USSD code kept", 2, "dynamodb_write"),
    Usage("DynamoDB", "UpdateItem: the webhook settles the payment", 2, "dynamodb_write"),
    Usage("DynamoDB", "PendingByExpiry index: entry added, then removed", 2, "dynamodb_write"),
    Usage("DynamoDB", "UpdateItem: the publisher gives the phone's slot back", 1, "dynamodb_write"),
    Usage("DynamoDB", f"GetItem (consistent): the {POLLS} polls", POLLS, "dynamodb_read"),
    Usage("DynamoDB", "stream reads by the Lambda trigger (free)", 0, "dynamodb_read"),
    Usage("EventBridge", "PutEvents: one Payment Succeeded entry", 1, "put_events"),
    Usage("EventBridge", "archive: about 2 KB per event", 2 / 1024 / 1024, "archive_gb"),
    Usage("EventBridge", "rule deliveries to targets (not charged)", 0, "put_events"),
    Usage(
        "SQS", "PaymentEventsQueue: SendMessage, ReceiveMessage, DeleteMessage (unbatched consumer)", 3, "sqs_request"
    ),
    Usage(
        "CloudWatch Logs",
        f"about 16 KB of log lines (the functions' JSON lines, START/END/REPORT; {1 + POLLS} API access-log lines)",
        16 / 1024 / 1024,
        "logs_gb",
    ),
    Usage("X-Ray", "traces recorded: 11 requests at the default 5 % sampling", 11 * 0.05, "xray_trace"),
]


def _functions() -> dict[str, tuple[int, str]]:
    """Logical id -> (memory in MB, architecture), as the template deploys them."""
    functions = {}
    for logical_id, resource in load_template().of_type("AWS::Lambda::Function").items():
        properties = resource["Properties"]
        architecture = (properties.get("Architectures") or ["x86_64"])[0]
        functions[logical_id] = (int(properties.get("MemorySize", 128)), architecture)
    return functions


def _alarm_count() -> int:
    return len(load_template().of_type("AWS::CloudWatch::Alarm"))


def _cost(quantity: float, price: str) -> float:
    return quantity * PAYMENTS * PRICES[price].usd / PRICES[price].per


def _plain(number: float) -> str:
    return f"{number:.10f}".rstrip("0").rstrip(".")


def _money(usd: float) -> str:
    return f"${usd:,.2f}"


def render() -> str:
    functions = _functions()
    rows: list[tuple[str, str, str, float]] = []  # service, what, quantity per payment, cost per million
    for call in INVOCATIONS:
        memory, architecture = functions[call.function]
        gb_seconds = call.count * memory / 1024 * call.milliseconds / 1000
        rows.append(
            ("Lambda", f"{call.function}: {call.what}", f"{call.count:g} requests", _cost(call.count, "lambda_request"))
        )
        rows.append(
            (
                "Lambda",
                f"{call.function}: {call.count:g} x {call.milliseconds} ms at {memory} MB ({architecture})",
                f"{gb_seconds:.4f} GB-s",
                _cost(gb_seconds, f"lambda_gb_s_{architecture}"),
            )
        )
    for usage in USAGE:
        rows.append(
            (
                usage.service,
                usage.what,
                f"{usage.quantity:.4g} {PRICES[usage.price].short}",
                _cost(usage.quantity, usage.price),
            )
        )
    total = sum(row[3] for row in rows)
    by_service: dict[str, float] = {}
    for service, _, _, cost in rows:
        by_service[service] = by_service.get(service, 0) + cost

    expiry_memory, expiry_architecture = functions["PaymentExpiryFunction"]
    runs = 60 * 24 * 30
    expiry = runs * PRICES["lambda_request"].usd / PRICES["lambda_request"].per + runs * expiry_memory / 1024 * 0.1 * (
        PRICES[f"lambda_gb_s_{expiry_architecture}"].usd
    )
    alarms = _alarm_count()
    fixed = [
        ("Expiry schedule", f"{runs:,} runs a month x 100 ms at {expiry_memory} MB, whatever the traffic", expiry),
        (
            "Secrets Manager",
            "one secret (TaramoneySecret); its reads are cached per container",
            PRICES["secret_month"].usd,
        ),
        ("CloudWatch alarms", f"{alarms} alarms in template.yaml", alarms * PRICES["alarm_month"].usd),
        ("CloudWatch dashboard", "the payments dashboard", PRICES["dashboard_month"].usd),
    ]

    lines = [
        "# What it costs on AWS",
        "",
        "<!-- Generated by `make costs` (docs/costs.py): edit the script, not this file. -->",
        "",
        f"Per **{PAYMENTS:,} paid payments** in eu-west-1, from the AWS calls each payment makes: "
        f"**about {_money(total)}**, that is {_money(total / PAYMENTS * 1000)} per thousand payments, plus "
        f"{_money(sum(cost for *_, cost in fixed))} a month whatever the traffic.",
        "",
        f"Prices: AWS **list prices for eu-west-1** (on-demand, arm64 Lambda, no free tier, no savings plan), "
        f"as noted on {PRICES_TAKEN} and written into `docs/costs.py`; they were not fetched by the script. "
        "Check them on the AWS pricing pages before relying on the total, and re-run `make costs`.",
        "",
        "One payment here is the common path: `POST /payments` with an `Idempotency-Key`, "
        f"Taramoney accepts, the checkout polls {POLLS} times, the webhook settles it, the stream "
        "announces it, the event reaches `PaymentEventsQueue` and a consumer reads it. Lambda durations "
        "are assumptions (the order mostly waits for Taramoney); measure yours with "
        "`make bench` and CloudWatch's `Duration`.",
        "",
        "## Per million payments, by service",
        "",
        "| service | cost |",
        "|---|---:|",
        *(f"| {service} | {_money(cost)} |" for service, cost in sorted(by_service.items(), key=lambda item: -item[1])),
        f"| **total** | **{_money(total)}** |",
        "",
        "## The calls behind it",
        "",
        "| service | what each payment does | per payment | per million payments |",
        "|---|---|---:|---:|",
        *(f"| {service} | {what} | {quantity} | {_money(cost)} |" for service, what, quantity, cost in rows),
        "",
        "## Every month, whatever the traffic",
        "",
        "| what | why | per month |",
        "|---|---|---:|",
        *(f"| {what} | {why} | {_money(cost)} |" for what, why, cost in fixed),
        "",
        "Not counted: data stored (payment items about 2 KB each at $0.283 per GB-month, kept until "
        "you delete them; the idempotency table's items expire), custom metrics (charged per metric "
        "per month, not per payment), log storage beyond `LogRetentionDays`, data transfer out, "
        "the parked-webhooks path (only while DynamoDB fails), retries, and the merchant webhook "
        "API destination when `MerchantWebhookEndpoint` is set ($0.20 per million invocations).",
        "",
        "## Prices assumed",
        "",
        "| price | USD | per |",
        "|---|---:|---|",
        *(f"| {price.unit} | {_plain(price.usd)} | {price.per:,} |" for price in PRICES.values()),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
