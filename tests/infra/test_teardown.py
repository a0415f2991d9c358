"""What `make destroy` says it keeps, read from the stage's templates: prod keeps its data (every
table and bucket), dev keeps no data."""

from __future__ import annotations

from leadflow import wiring
from leadflow.deploy import kept

from .conftest import Synthesized


def test_prod_keeps_every_table_and_bucket_after_its_stacks_are_deleted(prod: Synthesized) -> None:
    rows = kept(prod.templates)
    names = {name for _, _, name in rows}
    assert {prod.config.name(t.key) for t in wiring.TABLES} <= names
    kinds = {kind for _, kind, _ in rows}
    assert {"AWS::DynamoDB::Table", "AWS::S3::Bucket"} <= kinds, rows
    buckets = [row for row in rows if row[1] == "AWS::S3::Bucket"]
    assert len(buckets) >= len(wiring.BUCKETS)


def test_dev_keeps_no_data_only_api_gateways_account_wide_logging_role(dev: Synthesized) -> None:
    # API Gateway's CloudWatch role is one per account and region, shared by every REST API: CDK keeps it
    assert sorted(kind for _, kind, _ in kept(dev.templates)) == ["AWS::ApiGateway::Account", "AWS::IAM::Role"]
