"""AWS adapters: Secrets Manager keys, DynamoDB logs, the SageMaker endpoint and pipeline.

Only these modules import boto3, botocore and Powertools' parameters, and the wiring
imports them lazily: the local backend and the import of the app never load them.
"""
