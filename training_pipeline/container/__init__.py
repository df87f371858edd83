"""What runs inside the training image (SageMaker's bring-your-own-container contract).

Plain step code only: nothing here imports the SageMaker SDK or boto3; SageMaker moves
the data in and out of /opt/ml.
"""
