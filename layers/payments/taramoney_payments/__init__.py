"""The payment domain: mobile-money payments taken through Taramoney.

Each module is one room:
- ``models``, ``phone``, ``errors``, ``problems``: the payment, Cameroon numbers, refusals;
- ``initiation`` (with ``payment_request``, ``requests_parsing``, ``taramoney``, ``idempotency``):
  starting a payment;
- ``webhook_receiver`` (with ``webhook_tokens``, ``webhook_payload``, ``parking``) and
  ``settlement``: Taramoney's callback and the state machine it drives;
- ``outbox``, ``events``, ``publisher``: announcing stored status changes on EventBridge;
- ``expiry`` (with ``reconciliation``): closing payments whose webhook never came;
- ``repository``: every DynamoDB read and conditional write;
- ``settings``, ``clock``, ``backoff``, ``aws``, ``credentials``, ``observability``,
  ``services``, ``startup``: the plumbing.
The Lambda functions under ``functions/`` are thin adapters over these.
"""
