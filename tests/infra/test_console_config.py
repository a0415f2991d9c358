"""One `cdk deploy --all` gives the browser console both API URLs, without an export between stacks.

The assignment stack deploys the site with `config.json` (the WebSocket URL); the ingestion stack,
deployed after it, writes `config.rest.json` (the REST URL) into the same bucket, found by its name.
The site's own deployment must neither upload nor prune that file.
"""

from __future__ import annotations

import json
from typing import Any

from stacks.console_site import CONFIG_FILE, REST_CONFIG_FILE, SITE_BUCKET_KEY, WEB_ROOT

from .cfn import flatten, props, resources, target
from .conftest import Synthesized


def _deployment(synth: Synthesized, domain: str) -> dict[str, Any]:
    [deployment] = resources(synth.templates[domain], "Custom::CDKBucketDeployment").values()
    return props(deployment)


def _console_bucket(synth: Synthesized) -> str:
    return synth.config.bucket_name(SITE_BUCKET_KEY, "<AWS::AccountId>")


def _asset_files(synth: Synthesized, object_key: str) -> dict[str, str]:
    staged = synth.outdir / f"asset.{object_key.removesuffix('.zip')}"
    return {f.name: f.read_text() for f in staged.iterdir() if f.is_file() and f.suffix == ".json"}


def test_the_ingestion_stack_writes_only_config_rest_json_into_the_console_bucket_of_its_stage(
    synth: Synthesized,
) -> None:
    p = _deployment(synth, "ingestion")
    # the bucket the assignment stack names, imported by name: no export, no reference to another stack
    assert flatten(p["DestinationBucketName"]) == _console_bucket(synth)
    assert "Fn::ImportValue" not in json.dumps(synth.templates["ingestion"])
    # one file, and nothing else in the bucket touched; short caching, so a new URL shows promptly
    assert p["Prune"] is False
    assert "DestinationKeyPrefix" not in p and "DistributionId" not in p
    assert p["SystemMetadata"]["cache-control"] == "no-cache"
    [object_key] = p["SourceObjectKeys"]
    files = _asset_files(synth, object_key)
    assert list(files) == [REST_CONFIG_FILE]
    assert json.loads(files[REST_CONFIG_FILE].replace("<<marker:0xbaba:0>>", '"URL"')) == {"restUrl": "URL"}


def test_config_rest_json_carries_the_url_of_this_stacks_rest_api_and_stage(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    p = _deployment(synth, "ingestion")
    [markers] = p["SourceMarkers"]
    [url] = markers.values()
    assert "Fn::Join" in url
    [api_id] = resources(template, "AWS::ApiGateway::RestApi")
    [(deployment_stage_id, _)] = [
        (lid, r) for lid, r in resources(template, "AWS::ApiGateway::Stage").items() if props(r)["StageName"]
    ]
    text = flatten(url)
    assert text.startswith(f'"https://<{api_id}>.execute-api.{synth.config.region}.'), text
    assert text.endswith(f'/<{deployment_stage_id}>/"'), text
    # the same URL the stack outputs as ApiUrl
    [api_url] = [o for k, o in template["Outputs"].items() if k.startswith("ApiUrl")]
    assert f'"{flatten(api_url["Value"])}"' == text


def test_the_ingestion_deployment_may_write_the_console_bucket_only(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    p = _deployment(synth, "ingestion")
    handler = target(p["ServiceToken"])
    role = target(props(template["Resources"][handler])["Role"])
    statements = [
        s
        for policy in resources(template, "AWS::IAM::Policy").values()
        if role in {target(r) for r in props(policy)["Roles"]}
        for s in props(policy)["PolicyDocument"]["Statement"]
    ]
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert [sorted(flatten(r) for r in s["Resource"]) for s in writes] == [
        [f"arn:aws:s3:::{_console_bucket(synth)}", f"arn:aws:s3:::{_console_bucket(synth)}/*"]
    ]
    # everything else it may do is reading CDK's asset bucket
    for s in statements:
        if s not in writes:
            assert all("cdk-" in flatten(r) and "-assets-" in flatten(r) for r in s["Resource"]), s
            assert not {a for a in s["Action"] if a.startswith(("s3:Put", "s3:Delete"))}, s
    # the handler logs to a group of the stage, kept as long as the stage keeps logs
    log_group = template["Resources"][target(props(template["Resources"][handler])["LoggingConfig"]["LogGroup"])]
    assert props(log_group)["LogGroupName"] == f"/aws/lambda/{synth.config.name('console-rest-deploy')}"
    assert props(log_group)["RetentionInDays"] == synth.config.log_retention_days


def test_the_site_deployment_neither_uploads_nor_prunes_config_rest_json(synth: Synthesized) -> None:
    p = _deployment(synth, "assignment")
    assert p["Prune"] is True
    # `aws s3 sync --delete --exclude config.rest.json`: the excluded file is left in the bucket
    assert p["Exclude"] == [REST_CONFIG_FILE]
    web_zip, config_zip = p["SourceObjectKeys"]
    assert list(_asset_files(synth, config_zip)) == [CONFIG_FILE]
    staged = synth.outdir / f"asset.{web_zip.removesuffix('.zip')}"
    assert not (staged / REST_CONFIG_FILE).exists()
    # without `-c consoleRestUrl=...` config.json names no REST URL: the page reads config.rest.json
    config = json.loads(_asset_files(synth, config_zip)[CONFIG_FILE].replace("<<marker:0xbaba:0>>", '"WSS"'))
    assert config == {"websocketUrl": "WSS"}


def test_the_assignment_stack_deploys_before_the_ingestion_stack(synth: Synthesized) -> None:
    # the bucket must exist when config.rest.json is written into it; no export ties the two
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    ingestion = manifest["artifacts"][f"Leadflow-{synth.stage}-Ingestion"]
    assert f"Leadflow-{synth.stage}-Assignment" in ingestion["dependencies"]


def test_the_page_fetches_the_files_the_stacks_write_and_web_holds_neither() -> None:
    # (the browser tests check what the page does with them: tests/e2e/test_console_admin_browser.py)
    app = (WEB_ROOT / "app.js").read_text()
    assert f'fetch("{REST_CONFIG_FILE}"' in app and f'fetch("{CONFIG_FILE}"' in app
    assert not (WEB_ROOT / REST_CONFIG_FILE).exists() and not (WEB_ROOT / CONFIG_FILE).exists()
