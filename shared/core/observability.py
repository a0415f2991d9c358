"""The Powertools Logger, Tracer and Metrics every function uses (one instance each)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace="Leadflow")
