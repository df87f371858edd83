"""The operator CLI, `python -m ops`: commands over a stage that need both the API's code
(its AWS adapters and launcher) and the model code.

It sits above `chalice_app` and `training_pipeline` and imports both; neither imports
it. Model-side commands on one machine stay `python -m training_pipeline`.
"""
