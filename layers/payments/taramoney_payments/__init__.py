"""The payment domain: mobile-money payments taken through Taramoney.

Each module is one room: ``phone`` normalises numbers, ``models`` holds the payment and
its views, ``taramoney`` talks to the provider, ``repository`` stores payments in
DynamoDB, ``initiation`` starts a payment, ``settlement`` applies a webhook. The Lambda
functions under ``functions/`` are thin adapters over these.
"""
