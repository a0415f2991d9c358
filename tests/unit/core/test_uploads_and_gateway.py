"""Upload naming, multipart parsing, local gateway routing and policy evaluation, wiring integrity."""

from __future__ import annotations

import pytest

from leadflow import wiring
from leadflow.config import ConfigError, StageConfig, load_stage
from leadflow.local.rest import LocalRoute
from shared.core.errors import BadInput
from shared.core.scopes import policy_allows
from shared.ingestion.uploads import job_id_from_key, object_key, parse_multipart, safe_filename


def test_safe_filename_keeps_the_name_and_drops_paths() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\ana\\Leads Q1 (final).xlsx") == "Leads Q1 _final_.xlsx"
    with pytest.raises(BadInput):
        safe_filename("  ")


def test_object_key_round_trips_the_job() -> None:
    key = object_key("abc123", "leads.csv")
    assert key == "uploads/abc123/leads.csv" and job_id_from_key(key) == "abc123"
    assert job_id_from_key("raw/x.json") is None


def test_multipart_first_file_part() -> None:
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\nEmail\r\nx@y.co\r\n--{boundary}--\r\n"
    ).encode()
    name, content = parse_multipart(body, f"multipart/form-data; boundary={boundary}")
    assert name == "a.csv" and content == b"Email\r\nx@y.co"


def test_route_patterns_match_path_parameters() -> None:
    route = LocalRoute("GET", "/jobs/{job_id}", invoker=None)  # type: ignore[arg-type]
    match = route.pattern.match("/jobs/abc")
    assert match and match.groupdict() == {"job_id": "abc"}
    assert route.pattern.match("/jobs/abc/extra") is None


def test_policy_allow_deny_and_wildcards() -> None:
    arn = "arn:aws:execute-api:us-east-1:1:local/dev/GET/jobs/x"
    allow = {
        "policyDocument": {
            "Statement": [{"Effect": "Allow", "Resource": "arn:aws:execute-api:us-east-1:1:local/dev/*"}]
        }
    }
    deny = {
        "policyDocument": {"Statement": [*allow["policyDocument"]["Statement"], {"Effect": "Deny", "Resource": [arn]}]}
    }
    assert policy_allows(allow["policyDocument"]["Statement"], arn)
    assert not policy_allows(deny["policyDocument"]["Statement"], arn)
    assert not policy_allows(
        allow["policyDocument"]["Statement"], "arn:aws:execute-api:us-east-1:1:local/prod/GET/jobs/x"
    )


def test_every_reference_in_wiring_points_at_a_declared_resource() -> None:
    tables = {t.key for t in wiring.TABLES}
    queues = {q.key for q in wiring.QUEUES}
    buckets = {b.key for b in wiring.BUCKETS}
    topics = {t.key for t in wiring.TOPICS}
    buses = {b.key for b in wiring.BUSES}
    secrets = {s.key for s in getattr(wiring, "SECRETS", ())}
    # grants on what the stacks do not create name the stage setting that holds it
    settings = set(StageConfig.__dataclass_fields__)
    declared = {
        "table": tables,
        "queue": queues,
        "bucket": buckets,
        "topic": topics,
        "bus": buses,
        "secret": secrets,
        "email": settings,
        "external_secret": settings,
    }
    for fn in wiring.FUNCTIONS:
        for grant in fn.grants:
            assert grant.key in declared[grant.kind], (fn.key, grant)
        for ref in fn.env.values():
            if isinstance(ref, wiring.TableName):
                assert ref.table in tables
            elif isinstance(ref, wiring.QueueUrl):
                assert ref.queue in queues
            elif isinstance(ref, wiring.BusName):
                assert ref.bus in buses
            elif isinstance(ref, wiring.Setting):
                assert ref.attribute in StageConfig.__dataclass_fields__
        for source in fn.sqs_sources:
            assert source.queue in queues
            # a consumer must be allowed to consume the queue it is triggered by
            assert any(g.kind == "queue" and g.key == source.queue and g.access == "consume" for g in fn.grants)
    for rule in wiring.RULES:
        assert rule.bus in buses and rule.queue in queues
    for kind in (wiring.FUNCTIONS, wiring.QUEUES, wiring.TABLES, wiring.RULES):
        assert len({item.key for item in kind}) == len(kind), "keys must be unique"


def test_stage_config_reads_cdk_json_and_refuses_unknowns() -> None:
    dev, prod = load_stage("dev"), load_stage("prod")
    assert dev.name("jobs") == "leadflow-dev-jobs" and prod.name("jobs") == "leadflow-prod-jobs"
    assert prod.retain_data and not dev.retain_data
    with pytest.raises(ConfigError, match="unknown stage"):
        StageConfig.from_context("qa", {})
    with pytest.raises(ConfigError, match="unknown settings"):
        StageConfig.from_context("dev", {"dev": {"colour": "red"}})
