"""HTTP in front of the Chalice app for the ECS task: HTTP -> proxy event -> app -> HTTP."""
