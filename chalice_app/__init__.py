"""The Chalice app and the handler code shared by the Lambda and the ECS proxy."""
