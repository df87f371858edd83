"""The contract between the packages: names, words and settings they all share.

One owner for each: the stage rule and the resource names every stage gets
(`resources`), the pipeline's parameters and steps (`pipeline`), the words of a training
run (`runs`), and every environment variable with its default and its rule
(`environment`, read by `settings`). The Chalice app, the ECS proxy, the training
pipeline and the operator commands import these; nothing here imports them, nor any
third-party package, so the Lambda zip and both images carry it at no cost.
"""
