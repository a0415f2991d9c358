"""The synthesized stacks: names, data protection per stage, queues and alarms, triggers, the API."""

from __future__ import annotations

from typing import Any

from leadflow import wiring

from .cfn import flatten, invoked_function, props, resources, rest_path, target
from .conftest import Synthesized, stack_name

#: properties that carry a resource's physical name
NAME_PROPERTIES = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Lambda::LayerVersion": "LayerName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::ApiGateway::Authorizer": "Name",
}


def _by_name(synth: Synthesized, resource_type: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Resources of a type by physical name (CDK's unnamed deployment helpers left out)."""
    key = NAME_PROPERTIES[resource_type]
    return {
        flatten(props(res)[key]): (d, lid, res) for d, lid, res in synth.resources(resource_type) if key in props(res)
    }


def test_all_four_stacks_synthesize(synth: Synthesized) -> None:
    assert synth.stack_names == {stack_name(synth.stage, d) for d in wiring.DOMAINS}


def test_every_named_resource_carries_the_stage(synth: Synthesized) -> None:
    # Given every resource type this app names (CDK's own helper functions are unnamed)
    names = []
    for resource_type, key in NAME_PROPERTIES.items():
        for _, lid, res in synth.resources(resource_type):
            if resource_type == "AWS::Lambda::Function" and key not in props(res):
                assert lid.startswith(
                    ("BucketNotificationsHandler", "CustomS3AutoDeleteObjects", "CustomCDKBucketDeployment")
                ), lid
                continue
            if resource_type == "AWS::Lambda::LayerVersion" and key not in props(res):
                assert "AwsCliLayer" in lid, lid  # the AWS CLI layer of CDK's BucketDeployment (the console)
                continue
            names.append(flatten(props(res)[key]))
    # Then each name is the project's, for this stage
    assert names
    assert [n for n in names if f"leadflow-{synth.stage}-" not in n] == []
    # And the names wiring.py promises exist, exactly
    assert set(_by_name(synth, "AWS::SQS::Queue")) == {
        synth.config.name(k) for q in wiring.QUEUES for k in (q.key, f"{q.key}-dlq")
    }
    assert set(_by_name(synth, "AWS::DynamoDB::Table")) == {synth.config.name(t.key) for t in wiring.TABLES}
    assert set(_by_name(synth, "AWS::Lambda::Function")) >= {synth.config.name(f.key) for f in wiring.FUNCTIONS}
    assert set(_by_name(synth, "AWS::SNS::Topic")) == {synth.config.name(t.key) for t in wiring.TOPICS}
    bucket_names = set(_by_name(synth, "AWS::S3::Bucket"))
    for bucket in wiring.BUCKETS:
        assert synth.config.bucket_name(bucket.key, "<AWS::AccountId>") in bucket_names


def test_prod_keeps_its_data(prod: Synthesized) -> None:
    tables = list(prod.resources("AWS::DynamoDB::Table"))
    buckets = list(prod.resources("AWS::S3::Bucket"))
    assert tables and buckets
    for _, lid, table in tables:
        assert table["DeletionPolicy"] == "Retain", lid
        assert props(table)["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, lid
        assert props(table)["DeletionProtectionEnabled"] is True, lid
    for _, lid, bucket in buckets:
        assert bucket["DeletionPolicy"] == "Retain", lid
        assert props(bucket)["VersioningConfiguration"] == {"Status": "Enabled"}, lid
    assert list(prod.resources("Custom::S3AutoDeleteObjects")) == []


def test_dev_data_goes_with_the_stack(dev: Synthesized) -> None:
    for _, lid, table in dev.resources("AWS::DynamoDB::Table"):
        assert table["DeletionPolicy"] == "Delete", lid
        # PITR on in dev too: restores are how a broken import is undone
        assert props(table)["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, lid
    emptied = {target(props(res)["BucketName"]) for _, _, res in dev.resources("Custom::S3AutoDeleteObjects")}
    for _, lid, bucket in dev.resources("AWS::S3::Bucket"):
        assert bucket["DeletionPolicy"] == "Delete", lid
        assert lid in emptied, f"{lid} would block stack deletion with objects in it"


def test_buckets_are_private_encrypted_and_ssl_only(synth: Synthesized) -> None:
    policies = {target(props(p)["Bucket"]): props(p) for _, _, p in synth.resources("AWS::S3::BucketPolicy")}
    for _, lid, bucket in synth.resources("AWS::S3::Bucket"):
        p = props(bucket)
        assert all(p["PublicAccessBlockConfiguration"].values()), lid
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "AES256"
        }, lid
        denies = [
            s
            for s in policies[lid]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies, f"{lid} accepts plain HTTP"
    uploads = _by_name(synth, "AWS::S3::Bucket")[synth.config.bucket_name("uploads", "<AWS::AccountId>")][2]
    assert props(uploads)["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["POST"]
    assert "LoggingConfiguration" in props(uploads)
    # the console GETs answers too large for Lambda from presigned links in the data bucket
    data = _by_name(synth, "AWS::S3::Bucket")[synth.config.bucket_name("data", "<AWS::AccountId>")][2]
    assert props(data)["CorsConfiguration"]["CorsRules"][0]["AllowedMethods"] == ["GET"]


def test_every_queue_has_a_dead_letter_queue(synth: Synthesized) -> None:
    queues = _by_name(synth, "AWS::SQS::Queue")
    for declared in wiring.QUEUES:
        domain, _, queue = queues[synth.config.name(declared.key)]
        dlq_domain, dlq_lid, _ = queues[synth.config.name(f"{declared.key}-dlq")]
        redrive = props(queue)["RedrivePolicy"]
        assert declared.max_receive_count == 3
        assert redrive["maxReceiveCount"] == declared.max_receive_count
        assert target(redrive["deadLetterTargetArn"]) == dlq_lid and dlq_domain == domain
        assert props(queue)["VisibilityTimeout"] == wiring.visibility_timeout_s(declared.key)
        assert props(queue)["MessageRetentionPeriod"] == declared.retention_days * 86400
    for name, (_, _, queue) in queues.items():
        assert props(queue)["SqsManagedSseEnabled"] is True, name
    ssl_only = {
        target(q)
        for _, _, policy in synth.resources("AWS::SQS::QueuePolicy")
        for q in props(policy)["Queues"]
        if any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in props(policy)["PolicyDocument"]["Statement"]
        )
    }
    assert {lid for _, lid, _ in queues.values()} <= ssl_only


def test_every_dead_letter_queue_alarms_to_the_alarms_topic(synth: Synthesized) -> None:
    topic_name = synth.config.name("alarms")
    queues = _by_name(synth, "AWS::SQS::Queue")
    alarms = list(synth.resources("AWS::CloudWatch::Alarm"))
    for declared in wiring.QUEUES:
        domain, dlq_lid, _ = queues[synth.config.name(f"{declared.key}-dlq")]
        watching = [
            props(alarm)
            for d, _, alarm in alarms
            if d == domain and any(target(dim["Value"]) == dlq_lid for dim in props(alarm).get("Dimensions", []))
        ]
        assert len(watching) == 1, declared.key
        alarm = watching[0]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["Namespace"] == "AWS/SQS"
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["Threshold"] == 1
        # the topic lives in the notification stack: referenced by its name-derived ARN, not an export
        # (the notification domain's own alarms refer to it directly)
        own_topic = [f"<{lid}>" for lid in resources(synth.templates[domain], "AWS::SNS::Topic")]
        assert [flatten(a) for a in alarm["AlarmActions"]] in (
            [f"arn:aws:sns:{synth.config.region}:<AWS::AccountId>:{topic_name}"],
            own_topic,
        )
    assert topic_name in _by_name(synth, "AWS::SNS::Topic")


def test_no_stack_exports_or_imports(synth: Synthesized) -> None:
    for domain, template in synth.templates.items():
        assert all("Export" not in output for output in template.get("Outputs", {}).values()), domain
        assert "Fn::ImportValue" not in str(template), domain


def test_sqs_triggers_report_partial_failures_with_wiring_settings(synth: Synthesized) -> None:
    functions = _by_name(synth, "AWS::Lambda::Function")
    mappings = [props(m) for _, _, m in synth.resources("AWS::Lambda::EventSourceMapping")]
    declared_sources = [(fn, s) for fn in wiring.FUNCTIONS for s in fn.sqs_sources]
    assert len(mappings) == len(declared_sources)
    for fn, source in declared_sources:
        fn_lid = functions[synth.config.name(fn.key)][1]
        [mapping] = [m for m in mappings if target(m["FunctionName"]) == fn_lid]
        assert flatten(mapping["EventSourceArn"]).endswith(synth.config.name(source.queue)) or (
            target(mapping["EventSourceArn"]) == _by_name(synth, "AWS::SQS::Queue")[synth.config.name(source.queue)][1]
        )
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] == source.batch_size
        assert mapping.get("MaximumBatchingWindowInSeconds", 0) == source.max_batching_window_s
        assert mapping.get("ScalingConfig", {}).get("MaximumConcurrency") == source.max_concurrency


def test_functions_follow_wiring(synth: Synthesized) -> None:
    functions = _by_name(synth, "AWS::Lambda::Function")
    log_groups = _by_name(synth, "AWS::Logs::LogGroup")
    for fn in wiring.FUNCTIONS:
        domain, _, res = functions[synth.config.name(fn.key)]
        p = props(res)
        assert domain == fn.domain
        assert (p["Runtime"], p["Architectures"], p["Handler"]) == ("python3.12", ["x86_64"], fn.handler)
        assert (p["Timeout"], p["MemorySize"]) == (fn.timeout_s, fn.memory_mb)
        assert p["TracingConfig"] == {"Mode": "Active"}
        assert p["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == fn.key
        assert len(p["Layers"]) == 1
        _, log_lid, log_group = log_groups[f"/aws/lambda/{synth.config.name(fn.key)}"]
        assert target(p["LoggingConfig"]["LogGroup"]) == log_lid
        assert props(log_group)["RetentionInDays"] == synth.config.log_retention_days


def test_every_rest_method_is_behind_the_token_authorizer(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    [(authorizer_lid, authorizer)] = resources(template, "AWS::ApiGateway::Authorizer").items()
    declared = wiring.authorizer()
    assert props(authorizer)["Type"] == "TOKEN"
    assert props(authorizer)["IdentitySource"] == "method.request.header.Authorization"
    assert props(authorizer)["AuthorizerResultTtlInSeconds"] == next(
        t.cache_ttl_s for t in declared.triggers if isinstance(t, wiring.RestAuthorizer)
    )
    assert invoked_function(template, props(authorizer)["AuthorizerUri"]) == synth.config.name(declared.key)

    methods = [props(m) for m in resources(template, "AWS::ApiGateway::Method").values()]
    routed = [m for m in methods if m["HttpMethod"] != "OPTIONS"]
    assert len(routed) == len(wiring.rest_routes())
    # a route declared public (Twilio signs its webhook instead) has no authorizer, and only those
    public = {(r.method, r.path) for r, _ in wiring.rest_routes() if r.auth == "none"}
    for method in routed:
        if (method["HttpMethod"], rest_path(template, method["ResourceId"])) in public:
            assert method["AuthorizationType"] == "NONE" and "AuthorizerId" not in method
            continue
        assert method["AuthorizationType"] == "CUSTOM"
        assert target(method["AuthorizerId"]) == authorizer_lid
        assert method["Integration"]["Type"] == "AWS_PROXY"
    # Preflights answer CORS without credentials and reach no function.
    preflights = [m for m in methods if m["HttpMethod"] == "OPTIONS"]
    assert {rest_path(template, m["ResourceId"]) for m in preflights} == {r.path for r, _ in wiring.rest_routes()}
    for method in preflights:
        assert method["AuthorizationType"] == "NONE"
        assert method["Integration"]["Type"] == "MOCK"
        assert method["Integration"]["ContentHandling"] == "CONVERT_TO_TEXT"


def test_rest_api_settings(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    [api] = resources(template, "AWS::ApiGateway::RestApi").values()
    assert props(api)["Name"] == synth.config.name("api")
    assert props(api)["BinaryMediaTypes"] == ["*/*"]
    [stage] = resources(template, "AWS::ApiGateway::Stage").values()
    assert props(stage)["StageName"] == synth.stage
    assert "DestinationArn" in props(stage)["AccessLogSetting"]
    assert "ApiUrl" in template["Outputs"]


def test_uploads_bucket_notifies_the_upload_events_queue(synth: Synthesized) -> None:
    template = synth.templates["ingestion"]
    queue_lid = _by_name(synth, "AWS::SQS::Queue")[synth.config.name("upload-events")][1]
    [notifications] = resources(template, "Custom::S3BucketNotifications").values()
    configs = props(notifications)["NotificationConfiguration"]["QueueConfigurations"]
    assert {
        (target(c["QueueArn"]), tuple(c["Events"]), c["Filter"]["Key"]["FilterRules"][0]["Value"]) for c in configs
    } == {
        (queue_lid, ("s3:ObjectCreated:*",), "uploads/"),
        (queue_lid, ("s3:ObjectCreated:*",), "raw/"),
    }
    bucket_lid = _by_name(synth, "AWS::S3::Bucket")[synth.config.bucket_name("uploads", "<AWS::AccountId>")][1]
    assert target(props(notifications)["BucketName"]) == bucket_lid


def _statements(synth: Synthesized, domain: str, function_key: str) -> list[dict[str, Any]]:
    """The statements of a function's role policy."""
    template = synth.templates[domain]
    function = _by_name(synth, "AWS::Lambda::Function")[synth.config.name(function_key)][2]
    role_lid = target(props(function)["Role"])
    return [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if role_lid in {target(r) for r in props(policy)["Roles"]}
        for statement in props(policy)["PolicyDocument"]["Statement"]
    ]


def _actions_on(statements: list[dict[str, Any]], resource: str) -> set[str]:
    actions: set[str] = set()
    for statement in statements:
        listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if resource in {flatten(r) for r in listed}:
            actions |= set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    return actions


def test_cross_domain_grants_name_the_exact_resource(synth: Synthesized) -> None:
    arn = f"arn:aws:{{}}:{synth.config.region}:<AWS::AccountId>:{{}}"
    # ingestion's splitter sends to enrichment's queue
    splitter = _statements(synth, "ingestion", "splitter")
    assert _actions_on(splitter, arn.format("sqs", synth.config.name("lead-batches"))) == {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    # enrichment's store-leads writes ingestion's jobs table (no indexes: no index wildcard)
    store = _statements(synth, "enrichment", "store-leads")
    jobs_arn = arn.format("dynamodb", f"table/{synth.config.name('jobs')}")
    assert {"dynamodb:UpdateItem", "dynamodb:GetItem"} <= _actions_on(store, jobs_arn)
    assert _actions_on(store, f"{jobs_arn}/index/*") == set()


def test_only_tracing_is_granted_on_every_resource(synth: Synthesized) -> None:
    for domain, lid, policy in synth.resources("AWS::IAM::Policy"):
        for statement in props(policy)["PolicyDocument"]["Statement"]:
            if statement["Resource"] == "*":
                assert set(statement["Action"]) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, (
                    domain,
                    lid,
                )


def test_alarms_topic_takes_cloudwatch_over_ssl_only(synth: Synthesized) -> None:
    template = synth.templates["notification"]
    [(topic_lid, _)] = resources(template, "AWS::SNS::Topic").items()
    [policy] = resources(template, "AWS::SNS::TopicPolicy").values()
    statements = props(policy)["PolicyDocument"]["Statement"]
    assert [target(t) for t in props(policy)["Topics"]] == [topic_lid]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    assert any(s["Effect"] == "Allow" and s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in statements)
    emails = [props(s)["Endpoint"] for s in resources(template, "AWS::SNS::Subscription").values()]
    assert emails == list(synth.config.alarm_emails)
