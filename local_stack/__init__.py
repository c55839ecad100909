"""The local stack: the whole service on a laptop, with moto server standing in for AWS.

Never imported by deployed code. It reads ``template.yaml``; it never restates it.
"""
