"""Personal data in S3 expires: each personal-data prefix of each bucket, and old object versions.

The table below is written out by hand (not read from the wiring), so a rule dropped from the wiring
or the stack, or a new bucket nobody classified, fails here.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadflow import wiring
from leadflow.config import ConfigError, StageConfig
from tests.infra.conftest import Synthesized

#: bucket key -> {prefix holding personal data: the StageConfig setting with its retention in days}
PERSONAL_DATA: dict[str, dict[str, str]] = {
    "uploads": {"uploads/": "raw_upload_retention_days", "raw/": "raw_upload_retention_days"},
    "data": {"enriched/": "enriched_retention_days", "exports/": "export_retention_days"},
}


def _bucket(synth: Synthesized, key: str) -> dict[str, Any]:
    """The synthesized bucket of a wiring key (found by its physical name, leadflow-<stage>-<key>-...)."""
    marker = f"leadflow-{synth.stage}-{key}-"
    found = [
        res for _, _, res in synth.resources("AWS::S3::Bucket") if marker in str(res["Properties"].get("BucketName"))
    ]
    assert len(found) == 1, f"expected one bucket named {marker}..., found {len(found)}"
    return found[0]


def _rules(bucket: dict[str, Any]) -> list[dict[str, Any]]:
    rules = bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
    return [rule for rule in rules if rule.get("Status") == "Enabled"]


def _prefix(rule: dict[str, Any]) -> str | None:
    return rule.get("Prefix") or rule.get("Filter", {}).get("Prefix")


def test_every_bucket_is_classified() -> None:
    """A new bucket must be added to the table above (with its personal-data prefixes, if any)."""
    assert {b.key for b in wiring.BUCKETS} == set(PERSONAL_DATA)


@pytest.mark.parametrize("key", sorted(PERSONAL_DATA))
def test_personal_data_prefixes_expire_with_the_stage_retention(synth: Synthesized, key: str) -> None:
    rules = _rules(_bucket(synth, key))
    for prefix, setting in PERSONAL_DATA[key].items():
        days = getattr(synth.config, setting)
        expiring = [r.get("ExpirationInDays") for r in rules if _prefix(r) == prefix and "ExpirationInDays" in r]
        assert expiring == [days], f"{synth.stage}: {key} {prefix} should expire after {days} days ({setting})"


@pytest.mark.parametrize("key", sorted(PERSONAL_DATA))
def test_old_versions_expire_where_versioned(synth: Synthesized, key: str) -> None:
    bucket = _bucket(synth, key)
    versioned = bucket["Properties"].get("VersioningConfiguration", {}).get("Status") == "Enabled"
    # prod keeps its data (versioned) and dev does not: both branches below are exercised
    assert versioned == synth.config.retain_data
    days = synth.config.noncurrent_version_retention_days
    whole_bucket = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in _rules(bucket)
        if _prefix(r) is None and "NoncurrentVersionExpiration" in r
    ]
    assert whole_bucket == ([days] if versioned else [])


def test_stage_values_come_from_cdk_json(dev: Synthesized, prod: Synthesized) -> None:
    """Both stages name their retention in cdk.json (prod keeps the analytics record two years)."""
    for stage in (dev, prod):
        assert stage.config.raw_upload_retention_days == 30
        assert stage.config.export_retention_days == 7
        assert stage.config.noncurrent_version_retention_days == 30
    assert dev.config.enriched_retention_days == 30
    assert prod.config.enriched_retention_days == 730


def test_defaults() -> None:
    config = StageConfig(stage="dev")
    assert (
        config.raw_upload_retention_days,
        config.export_retention_days,
        config.noncurrent_version_retention_days,
        config.enriched_retention_days,
    ) == (30, 7, 30, 730)


@pytest.mark.parametrize("days", [0, -1, 1.5])
def test_a_retention_must_be_whole_days(days: object) -> None:
    with pytest.raises(ConfigError, match="export_retention_days"):
        StageConfig(stage="dev", export_retention_days=days)  # type: ignore[arg-type]
